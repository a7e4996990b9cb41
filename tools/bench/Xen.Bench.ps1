#Requires -Version 7.4
# QEMU start to login prompt for the same image booted three ways, median of 3 each, in one run:
# directly under QEMU (KVM when it works, else TCG), as a Xen PV guest (pvgrub2) and as a Xen PVH
# guest, both under Debian's Xen 4.17 inside QEMU. Also the one-time Xen host build (mmdebstrap, the
# dom0 disk), made in a throw-away cache directory so the real cache is not touched
# (-SkipHostBuild leaves it out). The image is a busybox root with the test kernel (defconfig + the
# OpenStack preset + XEN_PVH), as in the end-to-end test.
param([Parameter(Mandatory)] [string] $ModuleManifest, [int] $Runs = 3, [switch] $SkipHostBuild)
$ErrorActionPreference = 'Stop'
$ModuleManifest = (Resolve-Path -LiteralPath $ModuleManifest).Path   # a relative path would be taken as a module name
Import-Module $ModuleManifest -Force
$repo = Split-Path (Split-Path $PSScriptRoot -Parent) -Parent
if (-not ('GentooImage.TestSupport.FixtureRoot' -as [type])) { Add-Type -Path (Join-Path $repo 'out/TestSupport/GentooImage.TestSupport.dll') }

function Median([double[]] $xs) { ($xs | Sort-Object)[[int][math]::Floor($xs.Count / 2)] }
$dir = Join-Path ([IO.Path]::GetTempPath()) ('gi-bench-xen-' + [Guid]::NewGuid().ToString('N').Substring(0, 8))
New-Item -ItemType Directory $dir | Out-Null
try {
    $kernel = [GentooImage.TestSupport.FixtureKernel]::ForOpenStack((Join-Path $dir 'kernel-config'), $null)
    $root = [GentooImage.TestSupport.FixtureRoot]::Create((Join-Path $dir 'root'), $false)
    [GentooImage.TestSupport.FixtureHostTools]::Copy($root, [string[]] @('sfdisk', 'partx', 'resize2fs', 'e2fsck', 'blkid'))
    Copy-Item $kernel.BzImage (Join-Path $root "boot/vmlinuz-$($kernel.Release)")
    Initialize-CloudGuest -Path $root -RootPassword Empty -WarningAction SilentlyContinue | Out-Null
    $image = New-RawDiskImage -RootPath $root -Path (Join-Path $dir 'bench.img')

    $hostBuild = 'skipped (-SkipHostBuild)'
    if (-not $SkipHostBuild) {
        $cache = Join-Path $dir 'xen-host'
        $load = (Get-Content /proc/loadavg).Split(' ')[0]
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $built = [GentooImage.Engine.Boot.XenHostBuilder]::new().EnsureAsync($cache, [GentooImage.Engine.Platform.OperationContext]::None).GetAwaiter().GetResult()
        $hostBuild = '{0:0} s (Xen {1}; dom0 disk {2:0} MiB; load {3} at start)' -f $watch.Elapsed.TotalSeconds, $built.XenVersion, ((Get-Item $built.Dom0Disk).Length / 1MB), $load
        Remove-Item -Recurse -Force $cache
    }

    $rows = foreach ($mode in 'Kvm', 'Pv', 'Pvh') {
        $times = @(); $loads = @(); $accel = ''
        foreach ($i in 1..$Runs) {
            $log = Join-Path $dir "serial-$mode-$i.log"
            $load = (Get-Content /proc/loadavg).Split(' ')[0]
            $r = if ($mode -eq 'Kvm') {
                Test-RawDiskImage $image.Path -Boot -TimeoutSec 600 -SerialLogPath $log
            } else {
                Test-RawDiskImage $image.Path -Hypervisor Xen -XenGuestType $mode -TimeoutSec 900 -SerialLogPath $log
            }
            if (-not $r.Booted) { throw "$mode boot $i reached no login prompt (serial log $log)" }
            $times += $r.BootSeconds
            $accel = $r.Accelerator
            $loads += "$load-$((Get-Content /proc/loadavg).Split(' ')[0])"
        }
        [pscustomobject]@{
            Boot       = if ($mode -eq 'Kvm') { "QEMU directly ($accel)" } else { "Xen $mode guest (QEMU $accel)" }
            MedianSec  = [math]::Round((Median $times), 1)
            RunsSec    = ($times | ForEach-Object { '{0:0.0}' -f $_ }) -join ' / '
            HostLoad   = $loads -join ', '
        }
    }

    Write-Host ''
    Write-Host "Xen test host, one-time build: $hostBuild"
    $rows | Format-Table -AutoSize | Out-String -Width 200 | Write-Host
    $kvm = $rows[0].MedianSec
    foreach ($r in $rows | Select-Object -Skip 1) { Write-Host ('{0}: {1:0.0}x the direct boot' -f $r.Boot, ($r.MedianSec / $kvm)) }
}
finally {
    & rm -rf --one-file-system $dir
}
