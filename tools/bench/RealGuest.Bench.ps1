#Requires -Version 7.4
# QEMU start to SSH login for the real systemd and OpenRC guests (tests/RealGuest.Tests.ps1's images,
# DHCP config drive), TCG on this machine, median of 3 boots each, with 1 vCPU (as the tests boot,
# Nova's m1.small) and with 2 (m1.medium; multi-threaded TCG, one host thread per vCPU), and the
# boot's own breakdown: systemd-analyze (systemd), cloud-init analyze show (both). Goal: SSH within
# 60 s under TCG.
param([Parameter(Mandatory)] [string] $ModuleManifest, [int] $Runs = 3, [int[]] $Cpus = @(1, 2))
$ErrorActionPreference = 'Stop'
$ModuleManifest = (Resolve-Path -LiteralPath $ModuleManifest).Path   # a relative path would be taken as a module name
Import-Module $ModuleManifest -Force
$repo = Split-Path (Split-Path $PSScriptRoot -Parent) -Parent
Add-Type -Path (Join-Path $repo 'out/TestSupport/GentooImage.TestSupport.dll')
. (Join-Path $repo 'tests/RealGuest.Common.ps1')

function Median([double[]] $xs) { ($xs | Sort-Object)[[int][math]::Floor($xs.Count / 2)] }
$dir = Join-Path ([IO.Path]::GetTempPath()) ('gi-bench-guests-' + [Guid]::NewGuid().ToString('N').Substring(0, 8))
New-Item -ItemType Directory $dir | Out-Null
try {
    $kernel = [GentooImage.TestSupport.FixtureKernel]::ForOpenStack((Join-Path $dir 'kernel-config'), $null)
    foreach ($flavor in 'systemd', 'openrc') {
        $fdir = Join-Path $dir $flavor
        New-Item -ItemType Directory $fdir | Out-Null
        $built = New-RealGuestImage -Flavor $flavor -Dir $fdir -Kernel $kernel -Log { param($m) }
        $key = Join-Path $fdir 'id_ed25519'
        $public = [GentooImage.TestSupport.FixtureGuestVm]::NewKey($key)
        $drive = [GentooImage.TestSupport.FixtureConfigDrive]::Create($fdir, 'gi-bench-1', $public, $null)
        foreach ($n in $Cpus) {
            $times = @(); $cpu = @(); $loads = @(); $breakdown = ''
            foreach ($i in 1..$Runs) {
                $disk = New-RealGuestDisk -Image $built.Image -Path (Join-Path $fdir 'disk.img')
                $load = (Get-Content /proc/loadavg).Split(' ')[0]
                $vm = [GentooImage.TestSupport.FixtureGuestVm]::Start($disk, $drive.IsoPath, (Join-Path $fdir "serial-$n-$i.log"), $key, 1024, $null, $n)
                try {
                    if (-not $vm.WaitForSsh($built.CloudUser, [TimeSpan]::FromSeconds(600))) { throw "$flavor guest: no SSH within 600 s (serial log $fdir/serial-$n-$i.log)" }
                    $times += $vm.SecondsToSsh
                    $cpu += $vm.CpuSecondsToSsh
                    $loads += "$load-$((Get-Content /proc/loadavg).Split(' ')[0])"
                    if ($i -eq $Runs) {
                        # Where the time went: systemd's own view (systemd guests), cloud-init's stages and modules (both).
                        $q = 'cloud-init status --wait >/dev/null; command -v systemd-analyze >/dev/null && { systemd-analyze; systemd-analyze critical-chain ssh.service; systemd-analyze blame | head -12; }; sudo cloud-init analyze show | grep -E "^(Starting stage|Finished stage|Total Time)|took|ran successfully" | grep -vE "\+00\.[0-4]"'
                        $breakdown = $vm.Ssh($built.CloudUser, $q, [TimeSpan]::FromSeconds(600), [string[]] @()).Item2
                    }
                }
                finally { $vm.Dispose(); Remove-Item $disk -Force }
            }
            [pscustomobject]@{
                Bench        = "QEMU start to SSH login, $flavor guest (TCG, $n vCPU, 1 GiB)"
                Runs         = $Runs
                MedianSec    = [math]::Round((Median $times), 1)
                AllSec       = ($times | ForEach-Object { [math]::Round($_, 1) }) -join ', '
                # QEMU's CPU time to SSH: with 1 vCPU about what an idle host core takes (TCG runs it on one thread); with 2, the sum of both threads.
                MedianCpuSec = [math]::Round((Median $cpu), 1)
                AllCpuSec    = ($cpu | ForEach-Object { [math]::Round($_, 1) }) -join ', '
                HostLoad     = ($loads -join ', ') + ' (1-min load average at QEMU start-at SSH, 2 cores)'
                GoalSec      = 60
                MeetsGoal    = (Median $times) -le 60
            } | Format-List | Out-String -Width 200 | Write-Host
            Write-Host "Boot breakdown ($flavor, $n vCPU, last run):`n$breakdown"
        }
    }
}
finally {
    if (Get-Content /proc/self/mountinfo | Where-Object { ($_ -split ' ')[4].StartsWith("$dir/") }) { throw "mounts left below $dir" }
    Remove-Item -LiteralPath $dir -Recurse -Force
}
