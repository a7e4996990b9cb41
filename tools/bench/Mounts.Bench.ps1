#Requires -Version 7.4
# Mount-BuildFilesystems + Dismount-BuildFilesystems on a fixture root (median of several cycles),
# against the handbook's own commands with util-linux mount(8)/umount(8) in the same run
# (cp --dereference resolv.conf; mount proc, rbind+rslave sys and dev, bind+slave run; umount -R).
# Goal: <= 0.5 s per Mount+Dismount.
param([Parameter(Mandatory)] [string] $ModuleManifest, [int] $Runs = 15)
$ErrorActionPreference = 'Stop'
$ModuleManifest = (Resolve-Path -LiteralPath $ModuleManifest).Path   # a relative path would be taken as a module name
Import-Module $ModuleManifest -Force
$repo = Split-Path (Split-Path $PSScriptRoot -Parent) -Parent
Add-Type -Path (Join-Path $repo 'out/TestSupport/GentooImage.TestSupport.dll')

$dir = Join-Path ([IO.Path]::GetTempPath()) ('gi-bench-mounts-' + [Guid]::NewGuid().ToString('N').Substring(0, 8))
$root = [GentooImage.TestSupport.FixtureRoot]::Create("$dir/root")
function Median([double[]] $xs) { ($xs | Sort-Object)[[int][math]::Floor($xs.Count / 2)] }
try {
    Mount-BuildFilesystems -Path $root | Dismount-BuildFilesystems | Out-Null # warm-up (JIT)
    $module = foreach ($i in 1..$Runs) {
        (Measure-Command { Mount-BuildFilesystems -Path $root | Dismount-BuildFilesystems }).TotalMilliseconds
    }
    $handbook = foreach ($i in 1..$Runs) {
        (Measure-Command {
            cp --dereference /etc/resolv.conf "$root/etc/"
            mount --types proc /proc "$root/proc"
            mount --rbind /sys "$root/sys"; mount --make-rslave "$root/sys"
            mount --rbind /dev "$root/dev"; mount --make-rslave "$root/dev"
            mount --bind /run "$root/run"; mount --make-slave "$root/run"
            umount -R "$root/dev" "$root/sys" "$root/run" "$root/proc"
        }).TotalMilliseconds
    }
    $m = Median $module; $h = Median $handbook
    [pscustomobject]@{
        Bench                 = 'Mount-BuildFilesystems + Dismount-BuildFilesystems'
        Runs                  = $Runs
        ModuleMedianMs        = [math]::Round($m, 1)
        HandbookMountUmountMs = [math]::Round($h, 1)
        Ratio                 = [math]::Round($m / $h, 3)
        GoalMs                = 500
        MeetsGoal             = $m -le 500
        Note                  = 'the module also mounts a private devpts, ptmx, /dev/shm and /var/tmp/portage, and scans /proc for busy processes'
    } | Format-List | Out-String | Write-Host
}
finally {
    if (Get-Content /proc/self/mountinfo | Where-Object { ($_ -split ' ')[4].StartsWith("$dir/") }) { Dismount-BuildFilesystems -Path $root -Force | Out-Null }
    Remove-Item -LiteralPath $dir -Recurse -Force
}
