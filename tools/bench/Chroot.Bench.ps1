#Requires -Version 7.4
# A script printing 1,000,000 lines inside a mounted fixture root: Invoke-GentooChroot (output
# captured with -InformationVariable, log written) against what a user would do instead in pwsh,
# `& chroot $root /bin/sh $script | Out-Null`, in the same run. Goal: ratio <= 1.1, flat memory.
param([Parameter(Mandatory)] [string] $ModuleManifest, [int] $Lines = 1000000)
$ErrorActionPreference = 'Stop'
$ModuleManifest = (Resolve-Path -LiteralPath $ModuleManifest).Path   # a relative path would be taken as a module name
Import-Module $ModuleManifest -Force
$repo = Split-Path (Split-Path $PSScriptRoot -Parent) -Parent
Add-Type -Path (Join-Path $repo 'out/TestSupport/GentooImage.TestSupport.dll')

$dir = Join-Path ([IO.Path]::GetTempPath()) ('gi-bench-chroot-' + [Guid]::NewGuid().ToString('N').Substring(0, 8))
$root = [GentooImage.TestSupport.FixtureRoot]::Create("$dir/root")
$body = "seq 1 $Lines | sed 's/^/build output line /'"
Set-Content "$root/bench.sh" $body
function HeapMB { [math]::Round([GC]::GetTotalMemory($true) / 1MB, 1) }
try {
    $r = Mount-BuildFilesystems -Path $root -NoPortageTmpfs
    $r | Invoke-GentooChroot -Script 'seq 1 1000' -NoProfile 6>$null | Out-Null # warm-up (JIT)
    & chroot $root /bin/sh -c 'seq 1 1000' | Out-Null

    $native = Measure-Command { & chroot $root /bin/sh /bench.sh | Out-Null }

    $heap0 = HeapMB
    # The cmdlet records its run on the root it outputs (the state is reloaded under the root's lock,
    # so the object piped in is not the one that gets the History entry).
    $module = Measure-Command { $script:ran = $r | Invoke-GentooChroot -Script $body -NoProfile -InformationVariable captured }
    $capturedCount = $captured.Count
    $log = $script:ran.History[-1].Data.LogPath
    $logMB = [math]::Round((Get-Item $log).Length / 1MB, 1)
    Remove-Variable captured
    Remove-Item $log

    # Flat memory: the same run with the Information stream discarded; sample the managed heap while it runs.
    $heapBefore = HeapMB
    # A thread-pool timer samples the managed heap every 50 ms while the cmdlet runs.
    Add-Type -TypeDefinition @'
public static class GiHeapSampler {
    static System.Threading.Timer t; public static long Peak;
    public static void Start() { Peak = 0; t = new System.Threading.Timer(_ => { long p = System.GC.GetTotalMemory(false); if (p > Peak) Peak = p; }, null, 0, 50); }
    public static void Stop() { t.Dispose(); }
}
'@
    [GiHeapSampler]::Start()
    $discard = Measure-Command { $script:ran = $r | Invoke-GentooChroot -Script $body -NoProfile 6>$null }
    [GiHeapSampler]::Stop()
    Remove-Item $script:ran.History[-1].Data.LogPath

    [pscustomobject]@{
        Bench                   = "Invoke-GentooChroot, $Lines lines"
        NativeChrootOutNullSec  = [math]::Round($native.TotalSeconds, 2)
        ModuleInfoVariableSec   = [math]::Round($module.TotalSeconds, 2)
        Ratio                   = [math]::Round($module.TotalSeconds / $native.TotalSeconds, 3)
        CapturedRecords         = $capturedCount
        LogMB                   = $logMB
        ModuleDiscardedSec      = [math]::Round($discard.TotalSeconds, 2)
        RatioDiscarded          = [math]::Round($discard.TotalSeconds / $native.TotalSeconds, 3)
        HeapBeforeMB            = $heapBefore
        HeapPeakWhileRunningMB  = [math]::Round([GiHeapSampler]::Peak / 1MB, 1)
        Goal                    = 'Ratio <= 1.1, flat memory (the peak with the stream discarded stays near the heap before)'
    } | Format-List | Out-String | Write-Host
}
finally {
    if (Get-Content /proc/self/mountinfo | Where-Object { ($_ -split ' ')[4].StartsWith("$dir/") }) { Dismount-BuildFilesystems -Path $root -Force | Out-Null }
    if (-not (Get-Content /proc/self/mountinfo | Where-Object { ($_ -split ' ')[4].StartsWith("$dir/") })) { Remove-Item -LiteralPath $dir -Recurse -Force }
}
