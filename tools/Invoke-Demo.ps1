#Requires -Version 7.4
# The demo (./build.ps1 -Task Demo) and the test of examples/Build-OpenStackImage.ps1
# (tests/Build-OpenStackImage.Tests.ps1 runs it): the whole pipeline on an embedded default, with
# no internet. It serves a loopback mirror of a small signed stage3, builds (or takes from the
# cache) a 6.1 kernel with the OpenStack preset, runs the example script with -Offline against that
# mirror, boots the image and returns the DiskImage and the boot result.
param(
    [Parameter(Mandatory)] [string] $WorkDirectory,
    [string] $ModuleManifest = (Join-Path (Split-Path $PSScriptRoot -Parent) 'out/GentooImage/GentooImage.psd1')
)
$ErrorActionPreference = 'Stop'
$repo = Split-Path $PSScriptRoot -Parent
$env:PSModulePath = (Split-Path (Split-Path $ModuleManifest -Parent) -Parent) + [IO.Path]::PathSeparator + $env:PSModulePath
Import-Module $ModuleManifest
if (-not ('GentooImage.TestSupport.FixtureMirror' -as [type])) { Add-Type -Path (Join-Path $repo 'out/TestSupport/GentooImage.TestSupport.dll') }

New-Item -ItemType Directory -Force $WorkDirectory | Out-Null
$mirror = [GentooImage.TestSupport.FixtureMirror]::Create()
try {
    Write-Host "Loopback mirror: $($mirror.BaseUri) (stage3 signed by test key $($mirror.Trusted.PrimaryFingerprint))"
    # The first run builds the kernel (13-16 min on 2 cores): a progress bar on a console, and a
    # line a minute in any case, so a log shows it is still going.
    $progress = [Action[GentooImage.Engine.Platform.ProgressReport]] { param($r) Write-Progress -Activity $r.Activity -Status $r.Status -PercentComplete $r.PercentComplete -Completed:$r.Completed }
    $kernel = [GentooImage.TestSupport.FixtureKernel]::ForOpenStack((Join-Path $WorkDirectory 'kernel-config'), [Action[string]] { param($m) Write-Host $m }, $progress)
    $params = @{
        Offline            = $true
        Mirror             = $mirror.BaseUri
        KeyringPath        = $mirror.Trusted.PublicKeyPath
        TrustedFingerprint = $mirror.Trusted.PrimaryFingerprint
        CacheDirectory     = Join-Path $WorkDirectory 'cache'
        DistfilesCache     = Join-Path $WorkDirectory 'distfiles'
        BinpkgCache        = Join-Path $WorkDirectory 'binpkgs'
        RootPath           = Join-Path $WorkDirectory 'root'
        OutputPath         = Join-Path $WorkDirectory 'gentoo-openstack.img'
        KernelSource       = [GentooImage.TestSupport.KernelSourceCache]::Tree
        KernelImage        = $kernel.BzImage
        Force              = $true
    }
    & (Join-Path $repo 'examples/Build-OpenStackImage.ps1') @params
}
finally {
    $mirror.Dispose()
}
