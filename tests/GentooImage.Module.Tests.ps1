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
        (Get-FileHash $SourceManifest).Hash | Should -Be (Get-FileHash (Join-Path $Module.ModuleBase 'GentooImage.psd1')).Hash
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
    It 'describes every parameter' {
        foreach ($p in $Parameters) {
            $ph = $Help.parameters.parameter | Where-Object name -EQ $p.Name
            $ph | Should -Not -BeNullOrEmpty -Because "-$($p.Name) must be in the help"
            ($ph.description.Text -join ' ') | Should -Not -BeNullOrEmpty -Because "-$($p.Name) needs a description"
        }
    }
}

Describe 'Help sources' {
    It 'has a markdown source for every exported cmdlet and none for cmdlets that do not exist' {
        $sources = Get-ChildItem (Join-Path $RepoRoot 'src/help/en-US') -Filter '*-*.md' | ForEach-Object BaseName
        @($sources | Sort-Object) | Should -Be @($Data.CmdletsToExport | Sort-Object)
    }
}
