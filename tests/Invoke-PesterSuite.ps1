#Requires -Version 7.4
# Runs the Pester suite (or the files in -Path, comma-separated, in that order) in this (child)
# process and writes out/TestResults/<ResultName>-summary.json with the real counts, for build.ps1
# -Task Test to add to the xunit ones; the NUnit results go to <ResultName>.xml.
param(
    [Parameter(Mandatory)] [string] $PesterManifest,
    [Parameter(Mandatory)] [string] $ResultDirectory,
    [string] $Path,
    [ValidatePattern('^[a-z][a-z0-9-]*$')] [string] $ResultName = 'pester'
)
$ErrorActionPreference = 'Stop'
Import-Module $PesterManifest -Force
$config = New-PesterConfiguration
$config.Run.Path = if ($Path) {
    @($Path -split ',' | ForEach-Object { if (Test-Path $_) { $_ } else { Join-Path $PSScriptRoot $_ } })
}
else {
    @(Get-ChildItem $PSScriptRoot -Filter '*.Tests.ps1' | ForEach-Object FullName)
}
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
$config.TestResult.Enabled = $true
$config.TestResult.OutputFormat = 'NUnitXml'
$config.TestResult.OutputPath = Join-Path $ResultDirectory "$ResultName.xml"
$result = $null
try {
    $result = Invoke-Pester -Configuration $config
}
catch {
    # Pester can fail after running the tests (e.g. its NUnit export on a control character in a
    # failure message); that must count as a failure, never as a clean run.
    Write-Host "Pester failed: $_" -ForegroundColor Red
}
$summary = if ($null -eq $result) {
    [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0 }
}
else {
    $failed = [int] $result.FailedCount + [int] $result.FailedBlocksCount + [int] $result.FailedContainersCount
    [pscustomobject]@{ Passed = [int] $result.PassedCount; Failed = $failed; Skipped = [int] $result.SkippedCount }
}
$summary | ConvertTo-Json | Set-Content (Join-Path $ResultDirectory "$ResultName-summary.json")
