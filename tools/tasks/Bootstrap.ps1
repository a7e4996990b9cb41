# -Task Bootstrap: the missing Debian packages (tools/DebianPackages.psd1; dpkg-query decides what
# is missing, so a second run installs nothing) and Pester from NuGet into .tools/.

function Invoke-Bootstrap {
    Write-Step 'Bootstrap: Debian packages'
    $packages = (Import-PowerShellDataFile (Join-Path $Repo 'tools/DebianPackages.psd1')).Packages.Name
    $missing = foreach ($p in $packages) {
        $status = & dpkg-query -W -f '${Status}' $p 2>$null
        if ($LASTEXITCODE -or $status -notmatch 'install ok installed') { $p }
    }
    if ($missing) {
        if ([Environment]::UserName -ne 'root') {
            throw "These Debian packages are missing and installing them needs root: $($missing -join ' ')"
        }
        Write-Host "Installing: $($missing -join ' ')"
        $env:DEBIAN_FRONTEND = 'noninteractive'
        Invoke-Native apt-get @('update', '-qq')
        Invoke-Native apt-get (@('install', '-y', '-qq', '--no-install-recommends') + $missing)
        Write-Host "Installed: $($missing -join ' ')"
    }
    else {
        Write-Host 'All Debian packages present; nothing installed.'
    }

    Write-Step "Bootstrap: Pester $PesterVersion"
    if (Test-Path $PesterManifest) {
        Write-Host "Pester $PesterVersion present in .tools; nothing installed."
    }
    else {
        # The standard NuGet client (dotnet restore) fetches the package into a project-local folder.
        $proj = Join-Path $ToolsDir 'pester-restore/pester-restore.csproj'
        New-Item -ItemType Directory -Force (Split-Path $proj) | Out-Null
        Set-Content -Path $proj -Value @"
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
  <ItemGroup><PackageDownload Include="Pester" Version="[$PesterVersion]" /></ItemGroup>
</Project>
"@
        Invoke-Native dotnet @('restore', $proj, '--packages', (Join-Path $ToolsDir 'nuget'), '-v', 'q')
        if (-not (Test-Path $PesterManifest)) { throw "Pester $PesterVersion was restored but $PesterManifest is missing." }
        Write-Host "Installed: Pester $PesterVersion (NuGet) into .tools/nuget/pester/$PesterVersion"
    }
}
