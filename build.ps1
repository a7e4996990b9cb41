#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests, benchmarks and demonstrates the GentooImage module.
.DESCRIPTION
    Bootstrap  installs the Debian packages the module and its tests need (only the missing ones)
               and Pester 6.2.0 from NuGet into .tools/ (git-ignored).
    Build      builds the solution and lays the module out in out/GentooImage (importable by path,
               and by name with out/ on PSModulePath), with MAML help generated from src/help, the
               about_GentooImage topic, and release notes from CHANGELOG.md in the manifest.
    Package    Build, then out/packages/GentooImage.<version>.nupkg (Compress-PSResource), ready for
               Publish-PSResource -NupkgPath and Install-PSResource.
    Test       Bootstrap + Build, then the xunit projects and Pester (in a child pwsh), a host mount
               table check around the whole run, and one final line 'N passed, N failed'.
    Bench      runs tests/Bench/*.Bench.ps1 (module import time and each stage against its standard tool);
               -BenchName Stage3 runs only tests/Bench/Stage3.Bench.ps1.
    Demo       the module's main job on an embedded default: a loopback mirror, the whole pipeline
               (examples/Build-OpenStackImage.ps1 -Offline), a boot in QEMU; prints the DiskImage
               and the boot result. Output in out/demo.
    Clean      removes out/ and the build output folders.
.EXAMPLE
    dotnet tool restore; dotnet pwsh ./build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Bootstrap', 'Build', 'Package', 'Test', 'Bench', 'Demo', 'Clean', 'Help')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Test: only these Pester files (paths or names under tests/), and skip xunit when given.
    [string[]] $PesterPath,

    # Test: an xunit --filter expression; skips Pester when given alone.
    [string] $XunitFilter,

    # Package: package the module already built in out/GentooImage instead of building it first.
    [switch] $NoBuild,

    # Package: where the .nupkg goes (default out/packages).
    [string] $PackageDirectory,

    # Bench: only these benches, by name (Stage3 for tests/Bench/Stage3.Bench.ps1; wildcards allowed).
    [string[]] $BenchName
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

$Repo = $PSScriptRoot
$Out = Join-Path $Repo 'out'
$ModuleOut = Join-Path $Out 'GentooImage'
$TestResults = Join-Path $Out 'TestResults'
$ToolsDir = Join-Path $Repo '.tools'
$PesterVersion = '6.2.0'
$PesterManifest = Join-Path $ToolsDir "nuget/pester/$PesterVersion/tools/Pester.psd1"

# Every Debian package the module or its tests call. Kept in one list so Bootstrap, the README and
# the tests agree. Comments say who needs it.
$DebianPackages = @(
    'util-linux'          # mount, umount, unshare, sfdisk, findmnt
    'e2fsprogs'           # mkfs.ext4 -d, e2fsck, debugfs
    'fdisk'               # sfdisk
    'gdisk'               # sgdisk (GPT checks)
    'dosfstools'          # mkfs.vfat for the ESP
    'mtools'              # mcopy into the ESP without mounting it
    'grub-common'         # grub-mkimage
    'grub-pc-bin'         # i386-pc GRUB modules and boot.img
    'grub-efi-amd64-bin'  # x86_64-efi GRUB modules
    'qemu-system-x86'     # boot tests
    'qemu-utils'          # qemu-img
    'ovmf'                # UEFI firmware for boot tests
    'gnupg'               # OpenPGP verification of stage3 DIGESTS
    'xz-utils'            # multi-threaded xz
    'tar'                 # GNU tar for extraction
    'coreutils'           # b2sum, sha512sum
    'attr'                # getfattr/setfattr in tests
    'libcap2-bin'         # setcap/getcap in tests
    'busybox-static'      # the test fixture root's userland
    'psmisc'              # fuser in diagnostics
    'linux-source-6.1'    # the real Kconfig tree for kernel tests
    'build-essential'     # make olddefconfig / kernel build
    'bc'; 'bison'; 'flex'; 'libelf-dev'; 'libssl-dev'; 'cpio'; 'kmod'   # kernel build
    'mmdebstrap'          # the real-guest test roots (systemd, OpenRC) from Debian's packages
    'genisoimage'         # the OpenStack config drive (ISO9660, label config-2) in the guest tests
    'openssh-client'      # ssh/ssh-keygen: the guest tests log in over a forwarded port
    'systemd'             # systemctl --root: the reference the unit-enabling test compares with
    'python3-minimal'     # runs the OpenRC network_data.json renderer (Guest/Scripts/netdata.py) in its unit test
)

function Write-Step([string] $Message) {
    Write-Host "==> $Message" -ForegroundColor Cyan
}

function Invoke-Native {
    # Runs a tool on this console (its output unbuffered, as if typed) and shows that it is still
    # working: a progress bar with the elapsed time on a terminal, and a line every 30 s when the
    # output is redirected (CI, a log), where pwsh draws no progress.
    param([Parameter(Mandatory)] [string] $File, [string[]] $Arguments = @(), [switch] $AllowFailure)
    $psi = [System.Diagnostics.ProcessStartInfo]::new($File)
    $psi.UseShellExecute = $false
    foreach ($a in $Arguments) { $psi.ArgumentList.Add($a) }
    $what = "$File $(@($Arguments | Select-Object -First 2) -join ' ')"
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    $child = [System.Diagnostics.Process]::Start($psi)
    try {
        $nextLine = 30
        while (-not $child.WaitForExit(1000)) {
            $elapsed = [int] $watch.Elapsed.TotalSeconds
            Write-Progress -Activity $what -Status ('{0} min {1:00} s' -f [int][math]::Floor($elapsed / 60), ($elapsed % 60))
            if ([Console]::IsOutputRedirected -and $elapsed -ge $nextLine) {
                Write-Host ('[{0:HH:mm:ss}] {1}: still running ({2} min {3:00} s)' -f (Get-Date), $what, [int][math]::Floor($elapsed / 60), ($elapsed % 60))
                $nextLine += 30
            }
        }
        $child.WaitForExit()
        Write-Progress -Activity $what -Completed
        $code = $child.ExitCode
    }
    finally {
        if (-not $child.HasExited) { $child.Kill($true) }
        $child.Dispose()
    }
    if ($code -and -not $AllowFailure) {
        throw "'$File $($Arguments -join ' ')' failed with exit code $code."
    }
}

function Invoke-ChildPwsh {
    # A fresh pwsh from the same local tool, so the just-built DLL is loaded and nothing is locked.
    # It shares this console (its output is not piped through this process), so on a terminal its
    # Write-Progress bars show (the kernel build, downloads, the boot); with output redirected (CI,
    # a log) the module writes a progress line every 30 s instead.
    param([Parameter(Mandatory)] [string[]] $Arguments)
    $psi = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
    $psi.WorkingDirectory = $Repo
    $psi.UseShellExecute = $false
    foreach ($a in @('pwsh', '-NoProfile', '-NonInteractive') + $Arguments) { $psi.ArgumentList.Add($a) }
    $child = [System.Diagnostics.Process]::Start($psi)
    try {
        $child.WaitForExit()
        return $child.ExitCode
    }
    finally {
        $child.Dispose()
    }
}

function Invoke-Bootstrap {
    Write-Step 'Bootstrap: Debian packages'
    $missing = foreach ($p in $DebianPackages) {
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

function Invoke-Build {
    Write-Step "Build ($Configuration)"
    Invoke-Native dotnet @('build', (Join-Path $Repo 'GentooImage.sln'), '-c', $Configuration, '-nologo', '-v', 'q', '-clp:ErrorsOnly')

    if (Test-Path $ModuleOut) { Remove-Item -Recurse -Force $ModuleOut }
    New-Item -ItemType Directory -Force $ModuleOut | Out-Null
    $bin = Join-Path $Repo "src/GentooImage/bin/$Configuration/net8.0"
    foreach ($f in 'GentooImage.dll', 'GentooImage.pdb', 'GentooImage.Engine.dll', 'GentooImage.Engine.pdb', 'GentooImage.deps.json', 'GentooImage.Format.ps1xml') {
        Copy-Item (Join-Path $bin $f) $ModuleOut
    }
    Write-BuiltManifest (Join-Path $ModuleOut 'GentooImage.psd1')

    $support = Join-Path $Out 'TestSupport'
    if (Test-Path $support) { Remove-Item -Recurse -Force $support }
    Copy-Item -Recurse (Join-Path $Repo "tests/GentooImage.TestSupport/bin/$Configuration/net8.0") $support

    Write-Step 'Help: MAML from src/help'
    $rc = Invoke-ChildPwsh @('-File', (Join-Path $Repo 'build.ps1'), '-Task', 'Help')
    if ($rc) { throw "Help generation failed ($rc)." }
    # Conceptual help (Get-Help about_GentooImage): plain text beside the MAML.
    Copy-Item (Join-Path $Repo 'src/help/en-US/about_*.help.txt') (Join-Path $ModuleOut 'en-US')
    Write-Host "Module: $ModuleOut"
}

function Get-ChangelogSection([string] $Version) {
    # The text under '## [<Version>]' in CHANGELOG.md, up to the next '## ' heading.
    $lines = Get-Content (Join-Path $Repo 'CHANGELOG.md')
    $start = -1
    for ($i = 0; $i -lt $lines.Count; $i++) {
        if ($lines[$i] -match "^## \[?$([regex]::Escape($Version))\]?(\s|$)") { $start = $i; break }
    }
    if ($start -lt 0) { throw "CHANGELOG.md has no section '## [$Version]' for the manifest's ModuleVersion." }
    $body = for ($i = $start + 1; $i -lt $lines.Count -and $lines[$i] -notmatch '^## '; $i++) { $lines[$i] }
    "$($lines[$start].Substring(3).Trim())`n$(($body -join "`n").Trim())"
}

function Write-BuiltManifest([string] $Target) {
    # The source manifest with PSData.ReleaseNotes set to the CHANGELOG.md section of its version.
    $source = Join-Path $Repo 'GentooImage.psd1'
    $version = (Import-PowerShellDataFile $source).ModuleVersion
    $notes = (Get-ChangelogSection $version) -replace "'", "''"
    $text = Get-Content -Raw $source
    $pattern = "(?m)^(\s*ReleaseNotes\s*=\s*)'[^']*'"
    if ($text -notmatch $pattern) { throw "$source has no single-quoted ReleaseNotes line to fill in." }
    $text = [regex]::Replace($text, $pattern, { param($m) $m.Groups[1].Value + "'" + $notes + "'" })
    [IO.File]::WriteAllText($Target, $text, [Text.UTF8Encoding]::new($false))
}

function Invoke-Package {
    # A .nupkg of the built module, as Publish-PSResource would upload it: what Install-PSResource
    # installs from any repository (a folder, a NuGet feed, the PowerShell Gallery).
    if (-not $NoBuild) { Invoke-Build }
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

#region Help generation (MAML from src/help/en-US/<Verb-Noun>.md and the cmdlets' own metadata)

function Split-MarkdownSections([string[]] $Lines, [string] $Prefix) {
    # Returns an ordered dictionary: heading text -> lines under it (up to the next heading of that level).
    $sections = [ordered]@{}
    $current = $null
    $inFence = $false
    foreach ($line in $Lines) {
        if ($line -match '^```') { $inFence = -not $inFence }
        if (-not $inFence -and $line.StartsWith($Prefix + ' ')) {
            $current = $line.Substring($Prefix.Length + 1).Trim()
            $sections[$current] = [System.Collections.Generic.List[string]]::new()
        }
        elseif ($null -ne $current) {
            $sections[$current].Add($line)
        }
    }
    $sections
}

function ConvertTo-Paragraphs([string[]] $Lines) {
    $text = ($Lines -join "`n").Trim()
    if (-not $text) { return @() }
    @($text -split "\n\s*\n" | ForEach-Object { ($_ -split "\n" | ForEach-Object Trim) -join ' ' })
}

function Read-HelpMarkdown([string] $Path) {
    $lines = Get-Content -LiteralPath $Path
    $top = Split-MarkdownSections $lines '##'
    $help = @{
        Synopsis    = @(ConvertTo-Paragraphs $top['SYNOPSIS']) -join ' '
        Description = @(ConvertTo-Paragraphs $top['DESCRIPTION'])
        Parameters  = @{}
        Inputs      = [ordered]@{}
        Outputs     = [ordered]@{}
        Examples    = [System.Collections.Generic.List[hashtable]]::new()
        Notes       = @(ConvertTo-Paragraphs $top['NOTES'])
    }
    if ($top.Contains('PARAMETERS')) {
        $params = Split-MarkdownSections $top['PARAMETERS'] '###'
        foreach ($k in $params.Keys) { $help.Parameters[$k.TrimStart('-')] = @(ConvertTo-Paragraphs $params[$k]) }
    }
    foreach ($kind in 'INPUTS', 'OUTPUTS') {
        if ($top.Contains($kind)) {
            $items = Split-MarkdownSections $top[$kind] '###'
            foreach ($k in $items.Keys) { $help[$kind.Substring(0, 1) + $kind.Substring(1).ToLower()][$k] = @(ConvertTo-Paragraphs $items[$k]) }
        }
    }
    if ($top.Contains('EXAMPLES')) {
        $examples = Split-MarkdownSections $top['EXAMPLES'] '###'
        foreach ($title in $examples.Keys) {
            $body = $examples[$title]
            $code = [System.Collections.Generic.List[string]]::new()
            $remarks = [System.Collections.Generic.List[string]]::new()
            $inFence = $false
            foreach ($l in $body) {
                if ($l -match '^```') { $inFence = -not $inFence; continue }
                if ($inFence) { $code.Add($l) } else { $remarks.Add($l) }
            }
            $help.Examples.Add(@{ Title = $title; Code = ($code -join "`n").Trim(); Remarks = @(ConvertTo-Paragraphs $remarks) })
        }
    }
    $help
}

function Get-ParameterValueSet([System.Management.Automation.ParameterMetadata] $Parameter) {
    # A parameter's accepted values: its ValidateSet, else the names of its enum type (or element type).
    $validate = $Parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] } | Select-Object -First 1
    if ($validate) { return @($validate.ValidValues) }
    $t = $Parameter.ParameterType
    if ($t.IsArray) { $t = $t.GetElementType() }
    $t = [Nullable]::GetUnderlyingType($t) ?? $t
    if ($t.IsEnum) { return @([Enum]::GetNames($t)) }
    @()
}

function New-MamlHelp {
    $manifest = Join-Path $ModuleOut 'GentooImage.psd1'
    $module = Import-Module $manifest -PassThru -Force
    $helpDir = Join-Path $Repo 'src/help/en-US'
    $common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters

    $settings = [System.Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [System.Text.UTF8Encoding]::new($false) }
    $target = Join-Path $ModuleOut 'en-US/GentooImage.dll-Help.xml'
    New-Item -ItemType Directory -Force (Split-Path $target) | Out-Null
    $w = [System.Xml.XmlWriter]::Create($target, $settings)
    $maml = 'http://schemas.microsoft.com/maml/2004/10'
    $cmd = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
    $dev = 'http://schemas.microsoft.com/maml/dev/2004/10'
    function Paras([string[]] $ps) { foreach ($p in $ps) { $w.WriteElementString('maml', 'para', $maml, $p) } }
    function Desc([string[]] $ps) { $w.WriteStartElement('maml', 'description', $maml); Paras $ps; $w.WriteEndElement() }
    function TypeName([Type] $t) { if ($t.IsArray) { (TypeName $t.GetElementType()) + '[]' } else { $t.Name } }

    $w.WriteStartDocument()
    $w.WriteStartElement('helpItems', 'http://msh')
    $w.WriteAttributeString('schema', 'maml')
    foreach ($name in ($module.ExportedCmdlets.Keys | Sort-Object)) {
        $info = Get-Command $name
        $md = Join-Path $helpDir "$name.md"
        if (-not (Test-Path $md)) { Write-Warning "No help source for $name ($md)."; continue }
        $h = Read-HelpMarkdown $md
        $params = $info.Parameters.Values | Where-Object { $_.Name -notin $common }
        foreach ($p in $params) {
            if (-not $h.Parameters.ContainsKey($p.Name)) { Write-Warning "$name -$($p.Name) has no description in $md." }
        }

        $w.WriteStartElement('command', 'command', $cmd)
        $w.WriteAttributeString('xmlns', 'maml', $null, $maml)
        $w.WriteAttributeString('xmlns', 'dev', $null, $dev)
        $w.WriteStartElement('command', 'details', $cmd)
        $w.WriteElementString('command', 'name', $cmd, $name)
        $w.WriteElementString('command', 'verb', $cmd, $info.Verb)
        $w.WriteElementString('command', 'noun', $cmd, $info.Noun)
        Desc @($h.Synopsis)
        $w.WriteEndElement()
        Desc $h.Description

        $writeParam = {
            param($p, $set, [switch] $Full)
            # A parameter declared for all sets is keyed '__AllParameterSets', not by the set's name.
            $attr = if ($set -and $p.ParameterSets.ContainsKey($set)) { $p.ParameterSets[$set] } elseif ($p.ParameterSets.ContainsKey('__AllParameterSets')) { $p.ParameterSets['__AllParameterSets'] } else { $p.ParameterSets.Values | Select-Object -First 1 }
            $pipe = @(if ($attr.ValueFromPipeline) { 'ByValue' }; if ($attr.ValueFromPipelineByPropertyName) { 'ByPropertyName' })
            $w.WriteStartElement('command', 'parameter', $cmd)
            $w.WriteAttributeString('required', "$($attr.IsMandatory)".ToLower())
            $w.WriteAttributeString('variableLength', "$($p.ParameterType.IsArray)".ToLower())
            $w.WriteAttributeString('globbing', 'false')
            $w.WriteAttributeString('pipelineInput', $(if ($pipe) { "True ($($pipe -join ', '))" } else { 'False' }))
            $w.WriteAttributeString('position', $(if ($attr.Position -ge 0) { "$($attr.Position)" } else { 'named' }))
            $w.WriteAttributeString('aliases', $(if ($p.Aliases.Count) { $p.Aliases -join ', ' } else { 'none' }))
            $w.WriteElementString('maml', 'name', $maml, $p.Name)
            Desc @($h.Parameters[$p.Name])
            # The values Get-Help shows as {A | B} in the syntax: a ValidateSet's, else an enum's
            # (what Get-Command -Syntax shows). Each is a parameterValue inside the group; bare text
            # in the group renders as an empty set, {}.
            $values = @(Get-ParameterValueSet $p)
            if ($values.Count -and -not $Full) {
                $w.WriteStartElement('command', 'parameterValueGroup', $cmd)
                foreach ($v in $values) {
                    $w.WriteStartElement('command', 'parameterValue', $cmd)
                    $w.WriteAttributeString('required', 'false')
                    $w.WriteAttributeString('variableLength', 'false')
                    $w.WriteString($v)
                    $w.WriteEndElement()
                }
                $w.WriteEndElement()
            }
            if ($p.ParameterType -ne [switch]) {
                $w.WriteStartElement('command', 'parameterValue', $cmd)
                $w.WriteAttributeString('required', 'true')
                $w.WriteAttributeString('variableLength', "$($p.ParameterType.IsArray)".ToLower())
                $w.WriteString((TypeName $p.ParameterType))
                $w.WriteEndElement()
            }
            $w.WriteStartElement('dev', 'type', $dev)
            $w.WriteElementString('maml', 'name', $maml, (TypeName $p.ParameterType))
            $w.WriteEndElement()
            if ($Full) { $w.WriteElementString('dev', 'defaultValue', $dev, 'None') }
            $w.WriteEndElement()
        }

        $w.WriteStartElement('command', 'syntax', $cmd)
        foreach ($set in $info.ParameterSets) {
            $w.WriteStartElement('command', 'syntaxItem', $cmd)
            $w.WriteElementString('maml', 'name', $maml, $name)
            foreach ($sp in $set.Parameters | Where-Object { $_.Name -notin $common }) {
                & $writeParam $info.Parameters[$sp.Name] $set.Name
            }
            $w.WriteEndElement()
        }
        $w.WriteEndElement()

        $w.WriteStartElement('command', 'parameters', $cmd)
        foreach ($p in $params) { & $writeParam $p $null -Full }
        $w.WriteEndElement()

        foreach ($kind in @(@('inputTypes', 'inputType', $h.Inputs), @('returnValues', 'returnValue', $h.Outputs))) {
            $w.WriteStartElement('command', $kind[0], $cmd)
            foreach ($t in $kind[2].Keys) {
                $w.WriteStartElement('command', $kind[1], $cmd)
                $w.WriteStartElement('dev', 'type', $dev)
                $w.WriteElementString('maml', 'name', $maml, $t)
                $w.WriteEndElement()
                Desc $kind[2][$t]
                $w.WriteEndElement()
            }
            $w.WriteEndElement()
        }

        $w.WriteStartElement('maml', 'alertSet', $maml)
        $w.WriteStartElement('maml', 'alert', $maml)
        Paras $h.Notes
        $w.WriteEndElement()
        $w.WriteEndElement()

        $w.WriteStartElement('command', 'examples', $cmd)
        foreach ($e in $h.Examples) {
            $w.WriteStartElement('command', 'example', $cmd)
            $w.WriteElementString('maml', 'title', $maml, "-------------------------- $($e.Title) --------------------------")
            $w.WriteElementString('dev', 'code', $dev, $e.Code)
            $w.WriteStartElement('dev', 'remarks', $dev)
            Paras $e.Remarks
            $w.WriteEndElement()
            $w.WriteEndElement()
        }
        $w.WriteEndElement()
        $w.WriteEndElement() # command
    }
    $w.WriteEndElement()
    $w.WriteEndDocument()
    $w.Dispose()
    Write-Host "Help: $target"
}

#endregion

#region Test

function Get-MountSnapshot {
    # The host mount table without kernel ids (propagation flags included), and the loop devices.
    $mounts = Get-Content /proc/self/mountinfo | ForEach-Object {
        $l, $r = $_ -split ' - ', 2
        $f = $l -split ' '
        '{0} {1} {2} {3} {4}' -f $f[4], $f[3], $f[5], (($f | Select-Object -Skip 6) -join ' '), $r
    }
    $loops = @(& losetup -n -O NAME, BACK-FILE 2>$null)
    [pscustomobject]@{ Mounts = @($mounts); Loops = $loops }
}

function Read-TrxCounts([string] $Path) {
    if (-not (Test-Path $Path)) { return $null }
    [xml] $trx = Get-Content -Raw $Path
    $c = $trx.TestRun.ResultSummary.Counters
    [pscustomobject]@{ Passed = [int] $c.passed; Failed = [int] $c.failed + [int] $c.error + [int] $c.timeout + [int] $c.aborted }
}

function Invoke-Test {
    Invoke-Bootstrap
    Invoke-Build
    if (Test-Path $TestResults) { Remove-Item -Recurse -Force $TestResults }
    New-Item -ItemType Directory -Force $TestResults | Out-Null
    $env:GENTOOIMAGE_MODULE = Join-Path $ModuleOut 'GentooImage.psd1'
    $before = Get-MountSnapshot
    $passed = 0
    $failed = 0
    $runXunit = -not $PesterPath
    $runPester = -not ($XunitFilter -and -not $PesterPath)

    if ($runXunit) {
        foreach ($project in 'GentooImage.Engine.Tests', 'GentooImage.Host.Tests') {
            Write-Step "xunit: $project"
            $trx = "$project.trx"
            $args = @('test', (Join-Path $Repo "tests/$project"), '-c', $Configuration, '--no-build', '-nologo',
                '--logger', "trx;LogFileName=$trx", '--logger', 'console;verbosity=normal', '--results-directory', $TestResults)
            if ($XunitFilter) { $args += @('--filter', $XunitFilter) }
            Invoke-Native dotnet $args -AllowFailure
            $counts = Read-TrxCounts (Join-Path $TestResults $trx)
            if ($null -eq $counts) {
                Write-Warning "$project produced no results: counted as one failure."
                $failed++
            }
            else {
                $passed += $counts.Passed
                $failed += $counts.Failed
            }
        }
    }

    if ($runPester) {
        Write-Step "Pester $PesterVersion (child pwsh)"
        $summary = Join-Path $TestResults 'pester-summary.json'
        $pesterArgs = @('-File', (Join-Path $Repo 'tests/Invoke-PesterSuite.ps1'), '-PesterManifest', $PesterManifest,
            '-ResultDirectory', $TestResults)
        if ($PesterPath) { $pesterArgs += @('-Path', ($PesterPath -join ',')) }
        $null = Invoke-ChildPwsh $pesterArgs
        if (Test-Path $summary) {
            $s = Get-Content -Raw $summary | ConvertFrom-Json
            $passed += $s.Passed
            $failed += $s.Failed
        }
        else {
            Write-Warning 'Pester produced no summary: counted as one failure.'
            $failed++
        }
    }

    # Suite-level guarantee: the host mount table (and loop devices) after the run equal the ones before.
    Write-Step 'Suite: host mount table unchanged'
    $after = Get-MountSnapshot
    $diff = @(Compare-Object $before.Mounts $after.Mounts) + @(Compare-Object $before.Loops $after.Loops)
    if ($diff.Count) {
        $failed++
        Write-Host '[-] Host mount table or loop devices changed during the test run:' -ForegroundColor Red
        $diff | ForEach-Object { Write-Host ("    {0} {1}" -f $_.SideIndicator, $_.InputObject) }
    }
    else {
        $passed++
        Write-Host '[+] Host mount table and loop devices unchanged.' -ForegroundColor Green
    }

    "$passed passed, $failed failed"
    if ($failed) { exit 1 }
}

#endregion

function Invoke-Bench {
    $benches = Get-ChildItem (Join-Path $Repo 'tests/Bench') -Filter '*.Bench.ps1' | Sort-Object Name
    if ($BenchName) {
        $benches = @($benches | Where-Object { $n = $_.Name -replace '\.Bench\.ps1$', ''; $BenchName | Where-Object { $n -like $_ } })
        if (-not $benches) { throw "No bench named $($BenchName -join ', ') in tests/Bench (names: $((Get-ChildItem (Join-Path $Repo 'tests/Bench') -Filter '*.Bench.ps1').Name -replace '\.Bench\.ps1$', '' -join ', '))." }
    }
    Invoke-Bootstrap
    Invoke-Build
    $failedBenches = 0
    foreach ($b in $benches) {
        Write-Step "Bench: $($b.BaseName)"
        $rc = Invoke-ChildPwsh @('-File', $b.FullName, '-ModuleManifest', (Join-Path $ModuleOut 'GentooImage.psd1'))
        if ($rc) { $failedBenches++; Write-Warning "$($b.Name) failed ($rc)." }
    }
    if ($failedBenches) { exit 1 }
}

function Invoke-Demo {
    # The module's main job on an embedded default: a loopback mirror of a signed stage3, a 6.1
    # kernel with the OpenStack preset (built once, then cached), examples/Build-OpenStackImage.ps1
    # -Offline, and a boot of the image in QEMU. No internet needed.
    Invoke-Bootstrap
    Invoke-Build
    $work = Join-Path $Out 'demo'
    Write-Step "Demo: whole pipeline in $work"
    $script = "& '$(Join-Path $Repo 'tests/Invoke-Demo.ps1')' -WorkDirectory '$work'"
    $rc = Invoke-ChildPwsh @('-Command', $script)
    if ($rc) { throw "The demo failed ($rc)." }
}

switch ($Task) {
    'Bootstrap' { Invoke-Bootstrap }
    'Build' { Invoke-Build }
    'Package' { Invoke-Package }
    'Help' { New-MamlHelp }
    'Test' { Invoke-Test }
    'Bench' { Invoke-Bench }
    'Demo' { Invoke-Demo }
    'Clean' {
        foreach ($d in @($Out) + @(Get-ChildItem $Repo/src, $Repo/tests -Directory -Recurse -Include bin, obj | ForEach-Object FullName)) {
            if (Test-Path $d) { Remove-Item -Recurse -Force $d; Write-Host "Removed $d" }
        }
    }
}
