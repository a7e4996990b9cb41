# The module contract: manifest, exports, output types, views, ShouldProcess and help.
# Each test fails when the contract it names breaks.
BeforeDiscovery {
    $manifestPath = Join-Path (Split-Path $PSScriptRoot -Parent) 'GentooImage.psd1'
    $script:Exported = @((Import-PowerShellDataFile $manifestPath).CmdletsToExport)
}

BeforeAll {
    . "$PSScriptRoot/Common.ps1"
    $script:SourceManifest = Join-Path $RepoRoot 'GentooImage.psd1'
    $script:Data = Import-PowerShellDataFile $SourceManifest
    $script:Module = Get-Module GentooImage
    $script:Common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
    $script:MutatingVerbs = 'New', 'Set', 'Mount', 'Dismount', 'Invoke', 'Initialize', 'Remove', 'Add', 'Clear', 'Install', 'Update'
    [xml] $script:Format = Get-Content -Raw (Join-Path $RepoRoot 'src/GentooImage/GentooImage.Format.ps1xml')
}

Describe 'Manifest' {
    It 'is a valid module manifest' {
        # The built copy: the format file it names sits beside it there.
        { Test-ModuleManifest -Path (Join-Path $Module.ModuleBase 'GentooImage.psd1') -ErrorAction Stop } | Should -Not -Throw
        # The built copy is the source with the release notes filled in from CHANGELOG.md.
        $built = Get-Content -Raw (Join-Path $Module.ModuleBase 'GentooImage.psd1')
        $pattern = "(?ms)^\s*ReleaseNotes\s*=\s*'(?:[^']|'')*'"
        ($built -replace $pattern, '') | Should -Be ((Get-Content -Raw $SourceManifest) -replace $pattern, '')
    }
    It 'keeps the version in one place: the assemblies carry the manifest''s ModuleVersion' {
        foreach ($dll in 'GentooImage.dll', 'GentooImage.Engine.dll') {
            $v = [Reflection.AssemblyName]::GetAssemblyName((Join-Path $Module.ModuleBase $dll)).Version
            '{0}.{1}.{2}' -f $v.Major, $v.Minor, $v.Build | Should -Be $Data.ModuleVersion
        }
        $Module.Version.ToString() | Should -Be $Data.ModuleVersion
    }
    It 'has release notes: the CHANGELOG.md section of its version' {
        $changelog = Get-Content (Join-Path $RepoRoot 'CHANGELOG.md')
        $changelog | Should -Contain ($changelog | Where-Object { $_ -match "^## \[$([regex]::Escape($Data.ModuleVersion))\]" } | Select-Object -First 1)
        $notes = $Module.PrivateData.PSData.ReleaseNotes
        $notes | Should -Match "^\[$([regex]::Escape($Data.ModuleVersion))\]"
        foreach ($line in $changelog | Where-Object { $_ -match '^- ' } | Select-Object -First 3) { $notes.Contains($line) | Should -BeTrue -Because $line }
    }
    It 'says where the project and its licence are, or the README says why not' {
        # No public repository URL and no LICENSE file yet: the manifest must not invent them.
        $psdata = $Data.PrivateData.PSData
        if (Test-Path (Join-Path $RepoRoot 'LICENSE*')) { $psdata.LicenseUri | Should -Match '^https://' }
        else { $psdata.Keys | Should -Not -Contain 'LicenseUri' }
        if ($psdata.Keys -contains 'ProjectUri') { $psdata.ProjectUri | Should -Match '^https://' }
    }
    It 'targets PowerShell 7.4+ Core only' {
        $Data.CompatiblePSEditions | Should -Be @('Core')
        $Data.PowerShellVersion | Should -Be '7.4'
    }
    It 'lists cmdlets explicitly, without wildcards, and exports nothing else' {
        $Data.CmdletsToExport | Should -Not -BeNullOrEmpty
        $Data.CmdletsToExport | Where-Object { $_ -match '[*?]' } | Should -BeNullOrEmpty
        $Data.FunctionsToExport | Should -BeNullOrEmpty
        $Data.AliasesToExport | Should -BeNullOrEmpty
    }
    It 'has a real description and tags, and no placeholder URIs' {
        $Data.Description.Length | Should -BeGreaterThan 80
        $Data.PrivateData.PSData.Tags | Should -Contain 'Gentoo'
        Get-Content -Raw $SourceManifest | Should -Not -Match '(?i)example\.com|TODO|placeholder|contoso'
    }
    It 'processes the format file' {
        $Data.FormatsToProcess | Should -Be @('GentooImage.Format.ps1xml')
        Join-Path $Module.ModuleBase 'GentooImage.Format.ps1xml' | Should -Exist
    }
    It 'exports exactly the listed cmdlets' {
        @($Module.ExportedCmdlets.Keys | Sort-Object) | Should -Be @($Data.CmdletsToExport | Sort-Object)
    }
}

Describe 'Built module' {
    It 'imports by path in a fresh process' {
        $out = & dotnet pwsh -NoProfile -NonInteractive -Command "Import-Module '$($Module.Path -replace '\.dll$', '.psd1')'; (Get-Module GentooImage).Version.ToString()"
        $LASTEXITCODE | Should -Be 0
        $out | Should -Be $Data.ModuleVersion
    }
    It 'imports by name with out/ on PSModulePath' {
        $outDir = Split-Path $Module.ModuleBase -Parent
        $out = & dotnet pwsh -NoProfile -NonInteractive -Command "`$env:PSModulePath = '$outDir' + [IO.Path]::PathSeparator + `$env:PSModulePath; Import-Module GentooImage; (Get-Command -Module GentooImage).Count"
        $LASTEXITCODE | Should -Be 0
        [int] $out | Should -Be $Data.CmdletsToExport.Count
    }
    It 'ships an engine without a PowerShell reference' {
        $engine = [Reflection.AssemblyName]::GetAssemblyName((Join-Path $Module.ModuleBase 'GentooImage.Engine.dll'))
        $refs = [Reflection.Assembly]::LoadFrom((Join-Path $Module.ModuleBase 'GentooImage.Engine.dll')).GetReferencedAssemblies().Name
        $refs | Should -Not -Contain 'System.Management.Automation'
        $engine.Name | Should -Be 'GentooImage.Engine'
    }
    It 'does not ship System.Management.Automation (it comes from the host)' {
        Join-Path $Module.ModuleBase 'System.Management.Automation.dll' | Should -Not -Exist
    }
}

Describe 'Cmdlet <_>' -ForEach $Exported {
    BeforeAll {
        $script:Name = $_
        $script:Command = Get-Command $Name -Module GentooImage -ErrorAction SilentlyContinue
        $script:Help = Get-Help $Name -Full
        $script:Parameters = @($Command.Parameters.Values | Where-Object Name -NotIn $Common)
    }
    It 'exists as a cmdlet in the module' {
        $Command | Should -Not -BeNullOrEmpty
        $Command.CommandType | Should -Be 'Cmdlet'
    }
    It 'declares [OutputType]' {
        $Command.OutputType | Should -Not -BeNullOrEmpty
    }
    It 'has a view for each of its output types' {
        $viewed = $Format.Configuration.ViewDefinitions.View.ViewSelectedBy.TypeName
        foreach ($t in $Command.OutputType.Type | Where-Object { $_ -and -not $_.IsPrimitive -and $_ -ne [string] -and $_ -ne [bool] }) {
            $viewed | Should -Contain $t.FullName
        }
    }
    It 'declares SupportsShouldProcess when its verb mutates' {
        if ($Command.Verb -in $MutatingVerbs) {
            $Command.Parameters.Keys | Should -Contain 'WhatIf'
            $Command.Parameters.Keys | Should -Contain 'Confirm'
        }
    }
    It 'has a help synopsis and description from MAML' {
        $Help.Synopsis | Should -Not -BeNullOrEmpty
        # Without MAML, Get-Help makes the synopsis from the syntax line.
        $Help.Synopsis | Should -Not -Match "^\s*$([regex]::Escape($Name))\s+\["
        ($Help.description.Text -join ' ').Length | Should -BeGreaterThan 40
    }
    It 'has at least two examples with code' {
        @($Help.examples.example).Count | Should -BeGreaterOrEqual 2
        foreach ($e in $Help.examples.example) { $e.code | Should -Not -BeNullOrEmpty }
    }
    It 'shows the values of every ValidateSet and enum parameter in its help, never an empty set' {
        # The syntax lines, and the '-Name <Type>' heading of each parameter in Get-Help -Full.
        $syntax = ($Help.syntax | Out-String -Width 4096) +
            (($Help.parameters | Out-String -Width 4096) -split "`n" | Where-Object { $_ -match '^\s*-\w+' } | Out-String)
        $syntax | Should -Not -Match '\{\s*\}' -Because 'an empty value set ({}) tells the user nothing'
        $syntax | Should -Not -Match '<\s*>'
        foreach ($p in $Parameters) {
            $t = $p.ParameterType
            if ($t.IsArray) { $t = $t.GetElementType() }
            $set = $p.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] } | Select-Object -First 1
            $values = if ($set) { @($set.ValidValues) } elseif ($t.IsEnum) { [Enum]::GetNames($t) } else { continue }
            $syntax | Should -Match "-$($p.Name) \{$([regex]::Escape($values -join ' | '))\}"
        }
    }
    It 'describes every parameter' {
        foreach ($p in $Parameters) {
            $ph = $Help.parameters.parameter | Where-Object name -EQ $p.Name
            $ph | Should -Not -BeNullOrEmpty -Because "-$($p.Name) must be in the help"
            ($ph.description.Text -join ' ') | Should -Not -BeNullOrEmpty -Because "-$($p.Name) needs a description"
        }
    }
}

Describe 'Conceptual help' {
    It 'has about_GentooImage, shown by Get-Help, on the pipeline, its objects, state and safety' {
        Join-Path $Module.ModuleBase 'en-US/about_GentooImage.help.txt' | Should -Exist
        $text = Get-Help about_GentooImage | Out-String
        foreach ($heading in 'THE PIPELINE IN ONE PICTURE', 'THE OBJECTS', 'WHERE STATE LIVES', 'SAFETY GUARANTEES') {
            $text | Should -Match $heading
        }
        foreach ($c in $Data.CmdletsToExport) { $text | Should -Match $c }
    }
    It 'fits 80 columns' {
        Get-Content (Join-Path $RepoRoot 'src/help/en-US/about_GentooImage.help.txt') | Where-Object Length -GT 80 | Should -BeNullOrEmpty
    }
}

Describe 'Help sources' {
    It 'has a markdown source for every exported cmdlet and none for cmdlets that do not exist' {
        $sources = Get-ChildItem (Join-Path $RepoRoot 'src/help/en-US') -Filter '*-*.md' | ForEach-Object BaseName
        @($sources | Sort-Object) | Should -Be @($Data.CmdletsToExport | Sort-Object)
    }
}
