# Dot-sourced by every Pester file: imports the built module (out/GentooImage) and the shared test
# fixtures (out/TestSupport), and gives helpers for unique, self-cleaning test directories.
$script:RepoRoot = Split-Path $PSScriptRoot -Parent
$script:ModuleManifest = if ($env:GENTOOIMAGE_MODULE) { $env:GENTOOIMAGE_MODULE } else { Join-Path $RepoRoot 'out/GentooImage/GentooImage.psd1' }
if (-not (Test-Path $ModuleManifest)) { throw "The module is not built ($ModuleManifest). Run ./build.ps1 -Task Build." }
Import-Module $ModuleManifest -Force
$supportDll = Join-Path $RepoRoot 'out/TestSupport/GentooImage.TestSupport.dll'
if (-not ('GentooImage.TestSupport.FixtureRoot' -as [type])) { Add-Type -Path $supportDll }

function New-GiTestDirectory {
    # A unique directory under the system temp dir, named gi-<purpose>-<random>.
    param([string] $Purpose = 'test')
    $dir = Join-Path ([IO.Path]::GetTempPath()) ("gi-$Purpose-" + [Guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory -Path $dir | Out-Null
    $dir
}

function Remove-GiTestDirectory {
    # Removes a test directory, refusing while anything is still mounted below it.
    param([Parameter(Mandatory)] [string] $Path)
    if (-not (Test-Path $Path)) { return }
    $Path = (& realpath -- $Path)   # mountinfo holds canonical paths (TMPDIR may be a symlink)
    $mounted = Get-Content /proc/self/mountinfo | ForEach-Object { ($_ -split ' ')[4] } |
        Where-Object { $_ -eq $Path -or $_.StartsWith("$Path/") }
    if ($mounted) { throw "Refusing to remove ${Path}: still mounted: $($mounted -join ', ')" }
    Remove-Item -LiteralPath $Path -Recurse -Force
}
