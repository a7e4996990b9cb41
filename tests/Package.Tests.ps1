# The module as users get it: build.ps1 -Task Package makes a .nupkg of the built module, which is
# published to a local file repository with Publish-PSResource, installed with Install-PSResource
# into a clean module path, and used by name in a new pwsh without the build tree.
# PSResourceGet keeps repository registrations under XDG_DATA_HOME and installs CurrentUser modules
# under $HOME/.local/share/powershell/Modules: every pwsh here runs with a private HOME (and no XDG_*
# variables) below the test directory, so nothing is registered or installed on the host.
BeforeAll {
    . "$PSScriptRoot/Common.ps1"
    $script:Dir = New-GiTestDirectory 'package'
    $script:Packages = Join-Path $Dir 'packages'
    $script:Feed = Join-Path $Dir 'feed'
    $script:PrivateHome = Join-Path $Dir 'home'
    # .NET reports a missing ~/.local/share as no folder at all, and PSResourceGet then writes its
    # registrations relative to the working directory: the folder must exist.
    foreach ($d in $Feed, (Join-Path $PrivateHome '.local/share'), (Join-Path $PrivateHome '.config'), (Join-Path $PrivateHome '.cache')) {
        New-Item -ItemType Directory -Force $d | Out-Null
    }
    $script:InstalledModules = Join-Path $PrivateHome '.local/share/powershell/Modules'
    $script:HostRepositories = Join-Path ([Environment]::GetFolderPath('LocalApplicationData')) 'PSResourceGet/PSResourceRepository.xml'
    $script:HostRepositoriesBefore = if (Test-Path $HostRepositories) { Get-FileHash $HostRepositories } else { $null }

    function Invoke-IsolatedPwsh {
        # Runs a script in a new pwsh (this pwsh's own pwsh.dll: `dotnet pwsh` would look for the
        # local tool under the private HOME) with the private HOME and a PSModulePath that holds only
        # the private user module folder (pwsh adds its $PSHOME/Modules, where PSResourceGet lives).
        # Returns its output lines (plain text) and exit code.
        param([Parameter(Mandatory)] [string] $Script, [string[]] $Arguments = @())
        $file = Join-Path $Dir ("step-{0}.ps1" -f [Guid]::NewGuid().ToString('N').Substring(0, 8))
        Set-Content -Path $file -Value $Script
        $names = 'HOME', 'PSModulePath', 'NO_COLOR', 'XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME'
        $saved = @{}
        foreach ($k in $names) { $saved[$k] = [Environment]::GetEnvironmentVariable($k) }
        try {
            foreach ($k in 'XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME') { [Environment]::SetEnvironmentVariable($k, $null) }
            $env:HOME = $PrivateHome
            $env:PSModulePath = $InstalledModules
            $env:NO_COLOR = '1'
            $out = & dotnet (Join-Path $PSHOME 'pwsh.dll') -NoProfile -NonInteractive -File $file @Arguments 2>&1 | ForEach-Object { "$_" }
            [pscustomobject]@{ Output = @($out); ExitCode = $LASTEXITCODE; Text = ($out -join "`n") }
        }
        finally {
            foreach ($k in $names) { [Environment]::SetEnvironmentVariable($k, $saved[$k]) }
        }
    }

    # The Package task, on the module this test run built.
    Push-Location $RepoRoot
    try {
        $env:NO_COLOR = '1'
        $script:PackageOutput = & dotnet pwsh -NoProfile -NonInteractive -File ./build.ps1 -Task Package -NoBuild -PackageDirectory $Packages 2>&1 | ForEach-Object { "$_" }
        $script:PackageExit = $LASTEXITCODE
    }
    finally {
        Remove-Item Env:NO_COLOR
        Pop-Location
    }
    $script:Nupkg = Get-ChildItem $Packages -Filter '*.nupkg' -ErrorAction SilentlyContinue | Select-Object -First 1
    $script:Manifest = Import-PowerShellDataFile (Join-Path $RepoRoot 'GentooImage.psd1')
}

AfterAll {
    if ($Dir) { Remove-GiTestDirectory $Dir }
}

Describe 'build.ps1 -Task Package' {
    It 'writes GentooImage.{version}.nupkg' {
        $PackageExit | Should -Be 0 -Because ($PackageOutput -join "`n")
        $Nupkg.Name | Should -Be "GentooImage.$($Manifest.ModuleVersion).nupkg"
    }
    It 'holds the built module, its help and about topic, and nothing of the tests' {
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [IO.Compression.ZipFile]::OpenRead($Nupkg.FullName)
        try { $entries = @($zip.Entries.FullName) } finally { $zip.Dispose() }
        foreach ($f in 'GentooImage.psd1', 'GentooImage.dll', 'GentooImage.Engine.dll', 'GentooImage.Format.ps1xml',
            'en-US/GentooImage.dll-Help.xml', 'en-US/about_GentooImage.help.txt') {
            $entries | Should -Contain $f
        }
        $entries | Where-Object { $_ -match 'TestSupport|System\.Management\.Automation\.dll|\.Tests\.' } | Should -BeNullOrEmpty
    }
    It 'carries the manifest metadata, with the release notes of this version from CHANGELOG.md' {
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [IO.Compression.ZipFile]::OpenRead($Nupkg.FullName)
        try {
            $reader = [IO.StreamReader]::new(($zip.Entries | Where-Object FullName -EQ 'GentooImage.nuspec').Open())
            [xml] $nuspec = $reader.ReadToEnd()
            $reader.Dispose()
        }
        finally { $zip.Dispose() }
        $m = $nuspec.package.metadata
        $m.id | Should -Be 'GentooImage'
        $m.version | Should -Be $Manifest.ModuleVersion
        $m.description | Should -Be $Manifest.Description
        foreach ($t in $Manifest.PrivateData.PSData.Tags) { $m.tags -split ' ' | Should -Contain $t }
        $m.releaseNotes | Should -Match "^\[$([regex]::Escape($Manifest.ModuleVersion))\]"
        $m.releaseNotes | Should -Match 'Test-RawDiskImage'
    }
}

Describe 'Publish-PSResource and Install-PSResource from a local repository' {
    BeforeAll {
        $script:Install = Invoke-IsolatedPwsh -Arguments $Feed, $Nupkg.FullName -Script @'
param($Feed, $Nupkg)
$ErrorActionPreference = 'Stop'
Register-PSResourceRepository -Name GentooImageTest -Uri $Feed -Trusted
Publish-PSResource -NupkgPath $Nupkg -Repository GentooImageTest
$found = Find-PSResource -Name GentooImage -Repository GentooImageTest
Install-PSResource -Name GentooImage -Repository GentooImageTest -Scope CurrentUser -TrustRepository -Quiet
"FOUND $($found.Name) $($found.Version)"
"INSTALLED $((Get-InstalledPSResource -Name GentooImage).InstalledLocation)"
Unregister-PSResourceRepository -Name GentooImageTest
'@
        $script:Use = Invoke-IsolatedPwsh -Script @'
$ErrorActionPreference = 'Stop'
Import-Module GentooImage
"MODULEBASE $((Get-Module GentooImage).ModuleBase)"
"COMMANDS $((Get-Command -Module GentooImage | Sort-Object Name).Name -join ',')"
"SYNOPSIS $((Get-Help New-RawDiskImage).Synopsis)"
"ABOUT $((Get-Help about_GentooImage | Out-String) -match 'WHERE STATE LIVES')"
$config = Join-Path ([IO.Path]::GetTempPath()) ("gi-package-{0}.config" -f [Guid]::NewGuid().ToString('N').Substring(0, 8))
Set-Content $config 'CONFIG_64BIT=y'
try {
    Set-KernelConfig -ConfigPath $config -Preset OpenStack -WhatIf
    "CONFIG $((Get-Content $config) -join '|')"
}
finally { Remove-Item $config }
$root = Join-Path ([IO.Path]::GetTempPath()) ("gi-package-root-{0}" -f [Guid]::NewGuid().ToString('N').Substring(0, 8))
# A directory laid out like an extracted stage3 (what Get-BuildRoot accepts as a root).
New-Item -ItemType Directory "$root/etc", "$root/sbin" | Out-Null
Set-Content "$root/etc/gentoo-release" 'Gentoo Base System release 2.17'
Set-Content "$root/sbin/init" ''
try { "BUILDROOT $((Get-BuildRoot -Path $root).Path)" } finally { Remove-Item -Recurse $root }
'@
    }
    It 'publishes to the repository and installs from it' {
        $Install.ExitCode | Should -Be 0 -Because $Install.Text
        $Install.Output | Should -Contain "FOUND GentooImage $($Manifest.ModuleVersion)"
        Join-Path $Feed $Nupkg.Name | Should -Exist
        Join-Path $InstalledModules "GentooImage/$($Manifest.ModuleVersion)/GentooImage.psd1" | Should -Exist
    }
    It 'imports by name in a new session, from the installed copy' {
        $Use.ExitCode | Should -Be 0 -Because $Use.Text
        $Use.Output | Should -Contain "MODULEBASE $(Join-Path $InstalledModules "GentooImage/$($Manifest.ModuleVersion)")"
    }
    It 'exports every cmdlet of the manifest' {
        $Use.Output | Should -Contain "COMMANDS $(($Manifest.CmdletsToExport | Sort-Object) -join ',')"
    }
    It 'has its MAML help and the about_GentooImage topic' {
        $Use.Output | Where-Object { $_ -like 'SYNOPSIS *' } | Should -Match 'bootable raw'
        $Use.Output | Should -Contain 'ABOUT True'
    }
    It 'runs real cmdlets: Set-KernelConfig -WhatIf changes nothing, Get-BuildRoot reads a stage3 root' {
        $Use.Text | Should -Match 'What if: Performing the operation "Merge kernel options'
        $Use.Output | Should -Contain 'CONFIG CONFIG_64BIT=y'
        $Use.Output | Where-Object { $_ -like 'BUILDROOT /*gi-package-root-*' } | Should -Not -BeNullOrEmpty
    }
    It 'leaves no repository registered on the host' {
        $after = if (Test-Path $HostRepositories) { Get-FileHash $HostRepositories } else { $null }
        $after.Hash | Should -Be $HostRepositoriesBefore.Hash
        Get-PSResourceRepository -Name GentooImageTest -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Test-Path (Join-Path $RepoRoot 'PSResourceGet') | Should -BeFalse
        Get-InstalledPSResource -Name GentooImage -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}
