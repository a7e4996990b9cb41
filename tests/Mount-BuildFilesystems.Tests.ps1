BeforeAll {
    . "$PSScriptRoot/Common.ps1"
    function Get-MountsBelow([string] $Dir) {
        Get-Content /proc/self/mountinfo | ForEach-Object { ($_ -split ' ')[4] } | Where-Object { $_ -eq $Dir -or $_.StartsWith("$Dir/") }
    }
    $script:Pwsh = { param([string] $Script) & dotnet pwsh -NoProfile -NonInteractive -Command "Import-Module '$ModuleManifest'; $Script" 2>&1 }
}

Describe 'Mount-BuildFilesystems' {
    BeforeEach {
        $script:Dir = New-GiTestDirectory 'mount'
        $script:Root = [GentooImage.TestSupport.FixtureRoot]::Create("$Dir/root")
    }
    AfterEach {
        if (Get-MountsBelow $Dir) { Dismount-BuildFilesystems -Path $Root -Force | Out-Null }
        Remove-GiTestDirectory $Dir
    }

    It 'mounts a root from the pipeline and Dismount takes it down again' {
        $r = Get-BuildRoot $Root | Mount-BuildFilesystems -PortageTmpfsSize 32MB
        $r.IsMounted | Should -BeTrue
        $r.Mounts.Target | Should -Contain "$Root/dev/pts"
        $r.Mounts.Target | Should -Contain "$Root/var/tmp/portage"
        (& chroot $Root /bin/sh -c 'stat -f -c %T /var/tmp/portage') | Should -Be 'tmpfs'
        $d = $r | Dismount-BuildFilesystems
        $d.IsMounted | Should -BeFalse
        Get-MountsBelow $Root | Should -BeNullOrEmpty
        (Get-BuildRoot $Root).History.Step | Should -Be @('Mount-BuildFilesystems', 'Dismount-BuildFilesystems')
    }

    It '-WhatIf lists the mounts and mounts nothing' {
        $out = & $Pwsh "Mount-BuildFilesystems -Path '$Root' -DistfilesCache '$Dir' -WhatIf"
        $text = $out -join "`n"
        $text | Should -Match 'What if'
        $text | Should -Match 'devpts'
        $text | Should -Match ([regex]::Escape("$Root/var/cache/distfiles"))
        Get-MountsBelow $Dir | Should -BeNullOrEmpty
    }

    It 'refuses a /dev that is a symlink to / with UnsafeMountPoint and mounts nothing' {
        Remove-Item "$Root/dev" -Recurse -Force
        New-Item -ItemType SymbolicLink -Path "$Root/dev" -Target '/' | Out-Null
        { Mount-BuildFilesystems -Path $Root } | Should -Throw -ErrorId 'UnsafeMountPoint,GentooImage.Commands.MountBuildFilesystemsCommand'
        Get-MountsBelow $Dir | Should -BeNullOrEmpty
    }

    It 'reports a failed mount with MountFailed and leaves nothing mounted' {
        New-Item -ItemType File -Path "$Root/var/tmp/portage" | Out-Null
        { Mount-BuildFilesystems -Path $Root } | Should -Throw -ErrorId 'MountFailed,GentooImage.Commands.MountBuildFilesystemsCommand'
        Get-MountsBelow $Dir | Should -BeNullOrEmpty
    }

    It 'reports a missing root with BuildRootNotFound' {
        { Mount-BuildFilesystems -Path "$Dir/missing" } | Should -Throw -ErrorId 'BuildRootNotFound,GentooImage.Commands.MountBuildFilesystemsCommand'
    }

    It 'refuses to run without root with NotRoot' {
        # A user namespace without a uid mapping: geteuid() is 65534 (no privileges), files stay readable.
        $out = unshare --user dotnet pwsh -NoProfile -NonInteractive -Command "Import-Module '$ModuleManifest'; try { Mount-BuildFilesystems -Path '$Root' -ErrorAction Stop } catch { `$_.FullyQualifiedErrorId }" 2>&1
        ($out -join "`n") | Should -Match 'NotRoot,GentooImage.Commands.MountBuildFilesystemsCommand'
        Get-MountsBelow $Dir | Should -BeNullOrEmpty
    }

    It 'keeps the host table unchanged on a host whose / is rshared (systemd), even after a crashed rbind without rslave' {
        # A private mount namespace where every mount is shared, like a systemd host: there an rbind
        # of /dev makes peers of the host's /dev/pts and /dev/shm (moby#20670, chisel-releases#1190).
        $script = @"
`$ErrorActionPreference = 'Stop'
function Keys { Get-Content /proc/self/mountinfo | ForEach-Object { `$f = `$_ -split ' '; (`$f[4..(`$f.Count-1)] -join ' ') } | Where-Object { `$_ -notmatch '/gi-' } }
`$before = Keys
`$r = Mount-BuildFilesystems -Path '$Root'
if ((Get-Content /proc/self/mountinfo | Where-Object { `$_ -match ' $Root/' -and `$_ -match 'shared:' })) { 'PEER-FOUND' }
`$r | Dismount-BuildFilesystems | Out-Null
if (Compare-Object `$before (Keys)) { 'TABLE-CHANGED' } else { 'TABLE-SAME' }
# The trap: a crashed tool left /dev rbound WITHOUT rslave (a peer of /dev); Dismount must not take /dev/pts down.
mount --rbind /dev '$Root/dev'
Dismount-BuildFilesystems -Path '$Root' | Out-Null
if (Compare-Object `$before (Keys)) { 'TABLE-CHANGED-AFTER-CRASH' } else { 'TABLE-SAME-AFTER-CRASH' }
if (Test-Path /dev/pts/ptmx) { 'PTS-OK' }
"@
        $out = unshare --mount --propagation shared dotnet pwsh -NoProfile -NonInteractive -Command "Import-Module '$ModuleManifest'; $script" 2>&1
        $text = $out -join "`n"
        $text | Should -Not -Match 'PEER-FOUND'
        $text | Should -Match 'TABLE-SAME'
        $text | Should -Match 'TABLE-SAME-AFTER-CRASH'
        $text | Should -Match 'PTS-OK'
    }
}
