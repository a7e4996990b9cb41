BeforeAll {
    . "$PSScriptRoot/Common.ps1"
}

Describe 'Initialize-CloudGuest' {
    BeforeEach {
        $script:Dir = New-GiTestDirectory 'guest'
        $script:Root = Join-Path $Dir 'root'
    }
    AfterEach {
        Remove-GiTestDirectory $Dir
    }

    It 'turns an OpenRC root into a cloud guest and returns the BuildRoot with the step in History' {
        [GentooImage.TestSupport.FixtureGuestRoots]::CreateOpenRc($Root) | Out-Null
        $out = Get-BuildRoot $Root | Initialize-CloudGuest
        $out | Should -BeOfType ([GentooImage.Engine.Model.BuildRoot])
        $out.History[-1].Step | Should -Be 'Initialize-CloudGuest'
        $out.History[-1].Data['InitSystem'] | Should -Be 'OpenRC'
        $out.History[-1].Data['Changes'] | Should -Match 'link /etc/runlevels/default/sshd -> /etc/init.d/sshd'
        Get-Content "$Root/etc/inittab" | Should -Contain 's0:12345:respawn:/usr/libexec/gentooimage/console-getty ttyS0 /sbin/agetty -L 115200 ttyS0 vt100'
        (Get-Item "$Root/etc/runlevels/boot/cloud-init-local").LinkTarget | Should -Be '/etc/init.d/cloud-init-local'
        Get-ChildItem "$Root/etc/ssh" -Filter 'ssh_host_*' | Should -BeNullOrEmpty
        (Get-Item "$Root/etc/machine-id").Length | Should -Be 0
        (Get-BuildRoot $Root).History[-1].Step | Should -Be 'Initialize-CloudGuest'
    }

    It 'never empties a host cache that Mount-BuildFilesystems bound into the root (-CleanPortage)' {
        [GentooImage.TestSupport.FixtureGuestRoots]::CreateOpenRc($Root) | Out-Null
        $cache = Join-Path $Dir 'host-distfiles'
        New-Item -ItemType Directory $cache | Out-Null
        Set-Content (Join-Path $cache 'gcc-14.tar.xz') 'shared host cache'
        try {
            Get-BuildRoot $Root | Mount-BuildFilesystems -DistfilesCache $cache -NoPortageTmpfs |
                Initialize-CloudGuest -CleanPortage -WarningVariable warn -WarningAction SilentlyContinue | Out-Null
        }
        finally {
            Dismount-BuildFilesystems -Path $Root -Force | Out-Null
        }
        Join-Path $cache 'gcc-14.tar.xz' | Should -Exist
        ($warn -join "`n") | Should -Match '/var/cache/distfiles is a mount point'
    }

    It 'detects a systemd root and writes wants/ links' {
        [GentooImage.TestSupport.FixtureGuestRoots]::CreateSystemd($Root) | Out-Null
        $out = Initialize-CloudGuest -Path $Root
        $out.History[-1].Data['InitSystem'] | Should -Be 'Systemd'
        (Get-Item "$Root/etc/systemd/system/getty.target.wants/serial-getty@ttyS0.service").LinkTarget |
            Should -Be '/usr/lib/systemd/system/serial-getty@.service'
        "$Root/etc/systemd/system/multi-user.target.wants/gentooimage-growroot.service" | Should -Exist
    }

    It '-WhatIf lists the changes and changes nothing' {
        [GentooImage.TestSupport.FixtureGuestRoots]::CreateOpenRc($Root) | Out-Null
        $before = Get-Content -Raw "$Root/etc/inittab"
        $out = Initialize-CloudGuest -Path $Root -WhatIf 6>$null
        $out | Should -BeNullOrEmpty
        Get-Content -Raw "$Root/etc/inittab" | Should -Be $before
        Get-ChildItem "$Root/etc/ssh" -Filter 'ssh_host_*' | Should -Not -BeNullOrEmpty
        "$Root/var/lib/gentooimage/state.json" | Should -Not -Exist

        # The What if: lines go to the host: run it in a child process to read them.
        $lines = & dotnet pwsh -NoProfile -NonInteractive -Command "Import-Module '$ModuleManifest'; Initialize-CloudGuest -Path '$Root' -WhatIf" 2>&1
        $text = $lines -join "`n"
        $text | Should -Match 'What if: .*SerialConsole: write /etc/inittab \(getty on ttyS0 at 115200 \(when ttyS0 exists\)\)'
        $text | Should -Match 'What if: .*Ssh: remove /etc/ssh/ssh_host_rsa_key'
        $text | Should -Match 'What if: .*CloudInit: link /etc/runlevels/boot/cloud-init-local -> /etc/init.d/cloud-init-local'
        Get-ChildItem "$Root/etc/ssh" -Filter 'ssh_host_*' | Should -Not -BeNullOrEmpty
    }

    It '-Skip leaves parts alone and completes its names' {
        [GentooImage.TestSupport.FixtureGuestRoots]::CreateOpenRc($Root) | Out-Null
        Initialize-CloudGuest -Path $Root -Skip Ssh, Hygiene | Out-Null
        Get-ChildItem "$Root/etc/ssh" -Filter 'ssh_host_*' | Should -Not -BeNullOrEmpty
        "$Root/etc/runlevels/default/sshd" | Should -Not -Exist
        "$Root/root/.bash_history" | Should -Exist
        Get-Content "$Root/etc/inittab" | Should -Contain 's0:12345:respawn:/usr/libexec/gentooimage/console-getty ttyS0 /sbin/agetty -L 115200 ttyS0 vt100'

        $line = 'Initialize-CloudGuest -Skip Gro'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain 'GrowRoot'
    }

    It 'warns about -RootPassword Empty and records net.ifnames=0 for netifrc' {
        [GentooImage.TestSupport.FixtureGuestRoots]::CreateOpenRc($Root, $false, $true, $false) | Out-Null
        $out = Initialize-CloudGuest -Path $Root -RootPassword Empty -WarningVariable warn -WarningAction SilentlyContinue
        $warn | Should -Match 'RootPassword Empty'
        (Get-Content "$Root/etc/shadow")[0] | Should -BeLike 'root::*'
        $out.KernelArguments | Should -Be @('net.ifnames=0')
        Get-Content "$Root/etc/inittab" | Should -Contain 'h0:12345:respawn:/usr/libexec/gentooimage/console-getty hvc0 /sbin/agetty -L 115200 hvc0 vt100'
    }

    It 'still accepts the obsolete -XenConsole, warns that it does nothing, and writes the same hvc0 getty' {
        [GentooImage.TestSupport.FixtureGuestRoots]::CreateOpenRc($Root) | Out-Null
        Initialize-CloudGuest -Path $Root -XenConsole -WarningVariable warn -WarningAction SilentlyContinue | Out-Null
        $warn -join "`n" | Should -Match 'XenConsole.*obsolete.*hvc0'
        Get-Content "$Root/etc/inittab" | Should -Contain 'h0:12345:respawn:/usr/libexec/gentooimage/console-getty hvc0 /sbin/agetty -L 115200 hvc0 vt100'
    }

    It 'is idempotent: a second run records no changes' {
        [GentooImage.TestSupport.FixtureGuestRoots]::CreateBusybox($Root) | Out-Null
        Initialize-CloudGuest -Path $Root | Out-Null
        $second = Initialize-CloudGuest -Path $Root
        $second.History[-1].Data['ChangeCount'] | Should -Be '0'
        $second.History[-1].Data['InitSystem'] | Should -Be 'BusyboxInit'
    }

    It 'reports a bad host name as InvalidArgument' {
        [GentooImage.TestSupport.FixtureGuestRoots]::CreateBusybox($Root) | Out-Null
        { Initialize-CloudGuest -Path $Root -Hostname 'no_underscores' -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidArgument,GentooImage.Commands.InitializeCloudGuestCommand'
    }

    It 'reports a missing root as BuildRootNotFound, a plain directory as NotABuildRoot and an unknown init as GuestConfigFailed' {
        { Initialize-CloudGuest -Path "$Dir/missing" -ErrorAction Stop } |
            Should -Throw -ErrorId 'BuildRootNotFound,GentooImage.Commands.InitializeCloudGuestCommand'
        New-Item -ItemType Directory "$Root/etc" | Out-Null
        { Initialize-CloudGuest -Path $Root -ErrorAction Stop } |
            Should -Throw -ErrorId 'NotABuildRoot,GentooImage.Commands.InitializeCloudGuestCommand'
        Test-Path "$Root/var" | Should -BeFalse
        # A root the module knows (it has state) but whose init cannot be told.
        [GentooImage.Engine.Model.BuildRootStore]::Save([GentooImage.Engine.Model.BuildRoot]::new($Root))
        { Initialize-CloudGuest -Path $Root -ErrorAction Stop } |
            Should -Throw -ErrorId 'GuestConfigFailed,GentooImage.Commands.InitializeCloudGuestCommand'
    }
}
