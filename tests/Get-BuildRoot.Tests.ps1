BeforeAll {
    . "$PSScriptRoot/Common.ps1"
}

Describe 'Get-BuildRoot' {
    BeforeEach {
        $script:Dir = New-GiTestDirectory 'getroot'
        [GentooImage.Engine.Model.BuildRootStore]::Save([GentooImage.Engine.Model.BuildRoot]::new($Dir))
    }
    AfterEach {
        Remove-GiTestDirectory $Dir
    }

    It 'returns a BuildRoot whose ToString() is its path' {
        $root = Get-BuildRoot -Path $Dir
        $root | Should -BeOfType ([GentooImage.Engine.Model.BuildRoot])
        "$root" | Should -Be $Dir
        $root.IsMounted | Should -BeFalse
    }

    It 'picks up state saved by another session' {
        $saved = [GentooImage.Engine.Model.BuildRoot]::new($Dir)
        $saved.IsMounted = $true
        [GentooImage.Engine.Model.BuildRootStore]::Save($saved)
        $out = & dotnet pwsh -NoProfile -NonInteractive -Command "Import-Module '$ModuleManifest'; (Get-BuildRoot '$Dir').IsMounted"
        $out | Should -Be 'True'
    }

    It 'takes directories from Get-Item by pipeline' {
        (Get-Item $Dir | Get-BuildRoot).Path | Should -Be $Dir
    }

    It 'resolves a relative path against the current location' {
        Push-Location (Split-Path $Dir -Parent)
        try {
            (Get-BuildRoot "./$(Split-Path $Dir -Leaf)").Path | Should -Be $Dir
        }
        finally {
            Pop-Location
        }
    }

    It 'reports a missing root with ErrorId BuildRootNotFound and goes on with the next path' {
        $roots = Get-BuildRoot "$Dir/missing", $Dir -ErrorVariable errs -ErrorAction SilentlyContinue
        @($roots).Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -Be 'BuildRootNotFound,GentooImage.Commands.GetBuildRootCommand'
        $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $errs[0].Exception.Message | Should -Match 'New-Stage3Root'
    }

    It 'refuses a directory that is not a build root with ErrorId NotABuildRoot' {
        $plain = Join-Path $Dir 'plain'
        New-Item -ItemType Directory $plain | Out-Null
        Get-BuildRoot $plain -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -Be 'NotABuildRoot,GentooImage.Commands.GetBuildRootCommand'
        Test-Path (Join-Path $plain 'var') | Should -BeFalse
    }

    It 'shows the table view with the path' {
        $text = Get-BuildRoot $Dir | Out-String -Width 250
        $text | Should -Match 'LastStep'
        $text | Should -Match 'Mounted'
        $text | Should -BeLike "*$Dir*"
    }
}
