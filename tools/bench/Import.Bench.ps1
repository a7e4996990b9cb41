#Requires -Version 7.4
# Module import time in a fresh pwsh: median of several runs, against a bare pwsh start in the same
# run (the standard to compare with).
param([Parameter(Mandatory)] [string] $ModuleManifest, [int] $Runs = 7)
$ErrorActionPreference = 'Stop'

function Measure-Median([scriptblock] $Block) {
    $times = foreach ($i in 1..$Runs) { (Measure-Command $Block).TotalMilliseconds }
    ($times | Sort-Object)[[int][math]::Floor($Runs / 2)]
}

$bare = Measure-Median { & dotnet pwsh -NoProfile -NonInteractive -Command 'exit 0' }
$with = Measure-Median { & dotnet pwsh -NoProfile -NonInteractive -Command "Import-Module '$ModuleManifest'; exit 0" }
# In-process: the import itself, without the process start.
$inProcess = foreach ($i in 1..$Runs) {
    & dotnet pwsh -NoProfile -NonInteractive -Command "(Measure-Command { Import-Module '$ModuleManifest' }).TotalMilliseconds"
}
$inProcessMedian = ([double[]] $inProcess | Sort-Object)[[int][math]::Floor($Runs / 2)]

[pscustomobject]@{
    Bench                 = 'Import-Module GentooImage'
    Runs                  = $Runs
    BarePwshStartMs       = [math]::Round($bare, 1)
    PwshStartWithImportMs = [math]::Round($with, 1)
    ImportOnlyMs          = [math]::Round($inProcessMedian, 1)
    Ratio                 = [math]::Round($with / $bare, 3)
} | Format-List | Out-String | Write-Host
