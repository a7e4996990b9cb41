# -Task Package: a .nupkg of the built module, as Publish-PSResource would upload it: what
# Install-PSResource installs from any repository (a folder, a NuGet feed, the PowerShell Gallery).

function Invoke-Package {
    param([Parameter(Mandatory)] [string] $Configuration, [switch] $NoBuild, [string] $PackageDirectory)
    if (-not $NoBuild) { Invoke-Build -Configuration $Configuration }
    if (-not (Test-Path (Join-Path $ModuleOut 'GentooImage.dll'))) { throw "The module is not built ($ModuleOut); run without -NoBuild." }
    $packages = if ($PackageDirectory) { [IO.Path]::GetFullPath($PackageDirectory, (Get-Location).Path) } else { Join-Path $Out 'packages' }
    if (Test-Path $packages) { Remove-Item -Recurse -Force $packages }
    New-Item -ItemType Directory -Force $packages | Out-Null
    Write-Step 'Package: Compress-PSResource (PSResourceGet)'
    Import-Module Microsoft.PowerShell.PSResourceGet -ErrorAction Stop
    Compress-PSResource -Path $ModuleOut -DestinationPath $packages
    $nupkg = Get-ChildItem $packages -Filter '*.nupkg' | Select-Object -First 1
    if (-not $nupkg) { throw "Compress-PSResource wrote no .nupkg into $packages." }
    Write-Host "Package: $($nupkg.FullName)"
}
