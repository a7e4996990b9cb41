<#
.SYNOPSIS
    Builds, tests, packages, benchmarks and demonstrates the GentooImage module.
.DESCRIPTION
    A dispatcher: each task's body is in tools/tasks/<Task>.ps1 (shared paths and helpers in
    tools/tasks/Common.ps1). The tasks:

    Bootstrap  installs the Debian packages the module and its tests need (tools/DebianPackages.psd1,
               each with its reason; only the missing ones, as dpkg-query reports them) and Pester
               6.2.0 from NuGet into .tools/ (git-ignored). Idempotent.
    Build      builds the solution and lays the module out in out/GentooImage (importable by path,
               and by name with out/ on PSModulePath), with MAML help generated from src/help, the
               about_GentooImage topic, and release notes from CHANGELOG.md in the manifest; copies
               the test fixtures to out/TestSupport. The default task.
    Help       only the MAML help (out/GentooImage/en-US/GentooImage.dll-Help.xml) from
               src/help/en-US/<Verb-Noun>.md and the built cmdlets' metadata, for the module already
               built in out/GentooImage. Build runs it in a child pwsh; run it alone after editing help.
    Package    Build, then out/packages/GentooImage.<version>.nupkg (Compress-PSResource), ready for
               Publish-PSResource -NupkgPath and Install-PSResource.
    Test       Bootstrap + Build, then the xunit projects and Pester (in a child pwsh), a host mount
               table check around the whole run, and one final line 'N passed, N failed'; exit code 1
               on any failure. Results in out/TestResults.
    Bench      Bootstrap + Build, then tools/bench/*.Bench.ps1 (module import time and each stage
               against its standard tool); -BenchName Stage3 runs only tools/bench/Stage3.Bench.ps1.
    Demo       Bootstrap + Build, then the module's main job on an embedded default: a loopback
               mirror, the whole pipeline (examples/Build-OpenStackImage.ps1 -Offline), a boot in
               QEMU; prints the DiskImage and the boot result. Output in out/demo.
    Clean      removes out/ and the build output folders (bin/, obj/).
.PARAMETER Task
    The task to run (see the description). Default: Build.
.PARAMETER Configuration
    Build, Package, Test, Bench, Demo: the dotnet build configuration. Default: Release.
.PARAMETER PesterPath
    Test: only these Pester files (paths, or names under tests/); skips xunit.
.PARAMETER XunitFilter
    Test: a dotnet test --filter expression for the xunit projects; skips Pester unless -PesterPath
    is given too.
.PARAMETER NoBuild
    Package: package the module already built in out/GentooImage instead of building it first.
.PARAMETER PackageDirectory
    Package: where the .nupkg goes (default out/packages).
.PARAMETER BenchName
    Bench: only these benches, by name (Stage3 for tools/bench/Stage3.Bench.ps1; wildcards allowed).
    An unknown name fails before anything is built.
.EXAMPLE
    dotnet tool restore; dotnet pwsh ./build.ps1 -Task Test
    What .ci/run runs: bootstrap, build, every test; the last line is 'N passed, N failed'.
.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Test -PesterPath tests/Get-BuildRoot.Tests.ps1
    One Pester file (no xunit).
.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Test -XunitFilter 'FullyQualifiedName~Stage3'
    Only the matching xunit tests (no Pester).
.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Help
    Regenerates the MAML help of the module in out/GentooImage after a change to src/help.
#>

# (#Requires is below the help block: above it, Get-Help ./build.ps1 would not find the help.)
#Requires -Version 7.4
[CmdletBinding()]
param(
    [ValidateSet('Bootstrap', 'Build', 'Help', 'Package', 'Test', 'Bench', 'Demo', 'Clean')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    [string[]] $PesterPath,

    [string] $XunitFilter,

    [switch] $NoBuild,

    [string] $PackageDirectory,

    [string[]] $BenchName
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

foreach ($file in 'Common', 'Bootstrap', 'Build', 'Help', 'Package', 'Test', 'Bench', 'Demo', 'Clean') {
    . (Join-Path $PSScriptRoot "tools/tasks/$file.ps1")
}

switch ($Task) {
    'Bootstrap' { Invoke-Bootstrap }
    'Build' { Invoke-Build -Configuration $Configuration }
    'Help' { New-MamlHelp }
    'Package' { Invoke-Package -Configuration $Configuration -NoBuild:$NoBuild -PackageDirectory $PackageDirectory }
    'Test' { Invoke-Test -Configuration $Configuration -PesterPath $PesterPath -XunitFilter $XunitFilter }
    'Bench' { Invoke-Bench -Configuration $Configuration -BenchName $BenchName }
    'Demo' { Invoke-Demo -Configuration $Configuration }
    'Clean' { Invoke-Clean }
}
