BeforeAll {
    . "$PSScriptRoot/Common.ps1"
    $script:Mirror = [GentooImage.TestSupport.FixtureMirror]::Create()
    $script:Cmd = 'GentooImage.Commands.NewStage3RootCommand'
}

AfterAll {
    if ($script:Mirror) { $script:Mirror.Dispose() }
}

Describe 'New-Stage3Root' {
    BeforeEach {
        $script:Dir = New-GiTestDirectory 'stage3'
        $Mirror.Behave()
        $Mirror.SignWith($Mirror.Trusted)
        $script:Params = @{
            Path               = Join-Path $Dir 'root'
            Mirror             = $Mirror.BaseUri
            CacheDirectory     = Join-Path $Dir 'cache'
            KeyringPath        = $Mirror.AllKeysPath
            TrustedFingerprint = $Mirror.Trusted.PrimaryFingerprint
        }
    }
    AfterEach {
        Remove-GiTestDirectory $Dir
    }

    It 'extracts the latest signed stage3 and returns a BuildRoot' {
        $root = New-Stage3Root @Params
        $root | Should -BeOfType ([GentooImage.Engine.Model.BuildRoot])
        $root.Stage3.Verification | Should -Be 'SignatureAndDigest'
        $root.Stage3.SignerFingerprint | Should -Be $Mirror.Trusted.PrimaryFingerprint
        Get-Content (Join-Path $Params.Path 'etc/gentoo-release') | Should -Match 'Gentoo'
        (Get-BuildRoot $Params.Path).History[-1].Step | Should -Be 'New-Stage3Root'
        (Get-BuildRoot $Params.Path).Stage3.FileName | Should -Be $Mirror.TarballName
        Get-BuildRoot $Params.Path | Format-List | Out-String -Width 250 | Should -BeLike "*$($Mirror.TarballName)*"
    }

    It 'changes nothing with -WhatIf' {
        New-Stage3Root @Params -WhatIf | Should -BeNullOrEmpty
        Test-Path $Params.Path | Should -BeFalse
        Test-Path $Params.CacheDirectory | Should -BeFalse
        # It resolves the pointer (to say what it would extract) but downloads no stage3.
        @($Mirror.Requests | Where-Object { $_.Path.EndsWith('latest-stage3-amd64-openrc.txt') }) | Should -Not -BeNullOrEmpty
        @($Mirror.Requests | Where-Object { $_.Path.EndsWith('.tar.xz') }) | Should -BeNullOrEmpty
    }

    It 'completes -Flavor with the known flavors' {
        $line = 'New-Stage3Root -Flavor amd64-sys'
        $completions = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        $completions | Should -Contain 'amd64-systemd'
        $completions | Should -Not -Contain 'arm64-openrc'
    }

    It 'reports <Id> when <Case>' -ForEach @(
        @{ Id = 'Stage3NotFound'; Case = 'the flavor does not exist'; Setup = { $Params.Flavor = 'amd64-nosuch' } }
        @{ Id = 'Stage3DownloadFailed'; Case = 'the server drops every download'; Setup = { $Mirror.Misbehave('.tar.xz', 'DropMidFile', [int]::MaxValue) } }
        @{ Id = 'Stage3DigestMismatch'; Case = 'the tarball is tampered with'; Setup = { $Mirror.Misbehave('.tar.xz', 'Tamper', [int]::MaxValue) } }
        @{ Id = 'Stage3SignatureInvalid'; Case = 'an untrusted key signed'; Setup = { $Mirror.SignWith($Mirror.Untrusted) } }
        @{ Id = 'Stage3SignatureInvalid'; Case = 'the signing key is revoked'; Setup = { $Mirror.SignWith($Mirror.Revoked) } }
        @{ Id = 'Stage3SignatureInvalid'; Case = 'the signing key has expired'; Setup = { $Mirror.SignWith($Mirror.Expired) } }
        @{ Id = 'Stage3TooOld'; Case = 'the pointer is 40 days old'; Setup = { $Mirror.WritePointer([DateTimeOffset]::UtcNow.AddDays(-40), $null) } }
        @{ Id = 'Stage3DigestsMissing'; Case = 'the DIGESTS are missing'; Setup = { $Mirror.Misbehave('.DIGESTS', 'NotFound', [int]::MaxValue) } }
        @{ Id = 'RootNotEmpty'; Case = 'the root is not empty'; Setup = { New-Item -ItemType Directory $Params.Path | Out-Null; Set-Content (Join-Path $Params.Path 'x') 'x' } }
    ) {
        . $Setup
        { New-Stage3Root @Params } | Should -Throw -ErrorId "$Id,$Cmd"
        if ($Id -ne 'RootNotEmpty') { Test-Path $Params.Path | Should -BeFalse }
        else { $Mirror.Requests | Should -BeNullOrEmpty -Because 'a non-empty directory is refused before anything is downloaded' }
    }

    It 'reports UnsafeArchiveEntry for a path escaping the root' {
        $tar = Join-Path $Dir 'stage3-amd64-openrc-20260811T083102Z.tar'
        $w = [System.Formats.Tar.TarWriter]::new([IO.File]::Create($tar), [System.Formats.Tar.TarEntryFormat]::Pax, $false)
        $e = [System.Formats.Tar.PaxTarEntry]::new([System.Formats.Tar.TarEntryType]::RegularFile, '../escaped')
        $e.DataStream = [IO.MemoryStream]::new([byte[]](1, 2, 3))
        $w.WriteEntry($e)
        $w.Dispose()
        [GentooImage.TestSupport.FixtureMirror]::Compress($tar, '256KiB')
        $Mirror.SignBeside("$tar.xz", $Mirror.Trusted)
        $err = { New-Stage3Root @Params -Stage3 "$tar.xz" } | Should -Throw -ErrorId "UnsafeArchiveEntry,$Cmd" -PassThru
        $err.TargetObject | Should -Be '../escaped'
        Test-Path (Join-Path $Dir 'escaped') | Should -BeFalse
        Test-Path $Params.Path | Should -BeFalse
    }
}
