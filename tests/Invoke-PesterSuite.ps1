#Requires -Version 7.4
# Runs the Pester suite in this (child) process and writes out/TestResults/pester-summary.json with
# the real counts, for build.ps1 -Task Test to add to the xunit ones.
param(
    [Parameter(Mandatory)] [string] $PesterManifest,
    [Parameter(Mandatory)] [string] $ResultDirectory,
    [string] $Path
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
$config.TestResult.OutputPath = Join-Path $ResultDirectory 'pester.xml'
$result = Invoke-Pester -Configuration $config
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
[pscustomobject]@{ Passed = $result.PassedCount; Failed = $failed; Skipped = $result.SkippedCount } |
    ConvertTo-Json | Set-Content (Join-Path $ResultDirectory 'pester-summary.json')
