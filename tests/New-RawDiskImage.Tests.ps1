BeforeAll {
    . "$PSScriptRoot/Common.ps1"
}

Describe 'New-RawDiskImage' {
    BeforeAll {
        $script:Dir = New-GiTestDirectory 'rawimg'
        $script:Root = [GentooImage.TestSupport.FixtureRoot]::Create((Join-Path $Dir 'root'), $false)
        [IO.File]::WriteAllBytes((Join-Path $Root 'boot/vmlinuz-6.1.0-fixture'), [byte[]]::new(4096))
        $script:Out = Join-Path $Dir 'out'
        New-Item -ItemType Directory $Out | Out-Null
    }
    AfterAll {
        Remove-GiTestDirectory $Dir
    }
    AfterEach {
        Get-ChildItem $Out -Force | Remove-Item -Force
    }

    It 'writes a raw image with checksum and Glance files from -RootPath' {
        $img = New-RawDiskImage -RootPath $Root -Path (Join-Path $Out 'a.img')
        $img | Should -BeOfType ([GentooImage.Engine.Model.DiskImage])
        $img.PartitionTable | Should -Be 'Mbr'
        $img.CommandLine | Should -Match "^root=PARTUUID=$($img.RootPartUuid) ro .*console=tty0 console=hvc0 console=ttyS0,115200n8"
        $img.AllocatedSize | Should -BeLessThan $img.VirtualSize
        Push-Location $Out
        try { & sha256sum -c a.img.sha256 | Should -Match 'OK' } finally { Pop-Location }
        (Get-Content (Join-Path $Out 'a.img.glance.json') | ConvertFrom-Json).os_distro | Should -Be 'gentoo'
        $img.UploadCommand | Should -Match '^openstack image create --disk-format raw'
        ($img | Out-String -Width 250) | Should -Match 'Firmware'
        # SHA-512 only when asked for.
        $img.Sha256 | Should -Be ((& sha256sum $img.Path) -split ' ')[0]
        $img.Sha512 | Should -BeNullOrEmpty
        # A plain directory stays plain: no state file is written into it.
        Test-Path (Join-Path $Root 'var/lib/gentooimage/state.json') | Should -BeFalse
    }

    It 'takes a BuildRoot from the pipeline and records the step' {
        $br = [GentooImage.Engine.Model.BuildRoot]::new($Root)
        $img = $br | New-RawDiskImage -Path (Join-Path $Out 'b.img') -Firmware Uefi -Checksum Sha256, Sha512
        $img.PartitionTable | Should -Be 'Gpt'
        $img.Sha512 | Should -Be ((& sha512sum $img.Path) -split ' ')[0]
        $br.History[-1].Step | Should -Be 'New-RawDiskImage'
        $br.History[-1].Outcome | Should -Be 'Succeeded'
        (Get-BuildRoot $Root).History[-1].Data['Sha256'] | Should -Be $img.Sha256
        Remove-Item (Join-Path $Root 'var/lib/gentooimage') -Recurse -Force
    }

    It "appends the BuildRoot's KernelArguments (Initialize-CloudGuest's net.ifnames=0) to the kernel command line" {
        $br = [GentooImage.Engine.Model.BuildRoot]::new($Root)
        $null = $br.AddKernelArgument('net.ifnames=0')
        $img = $br | New-RawDiskImage -Path (Join-Path $Out 'k.img') -KernelCommandLine 'quiet'
        $img.CommandLine | Should -Match ' console=ttyS0,115200n8 net\.ifnames=0 quiet$'
        $start = ((& sfdisk --json $img.Path | ConvertFrom-Json).partitiontable.partitions | Where-Object node -Match '1$').start
        $cfg = & debugfs -R 'cat /boot/grub/grub.cfg' "$($img.Path)?offset=$($start * 512)" 2>$null | Out-String
        $cfg | Should -Match 'linux .* net\.ifnames=0 quiet'
        Remove-Item (Join-Path $Root 'var/lib/gentooimage') -Recurse -Force -ErrorAction Ignore
    }

    It '-WhatIf shows the layout and writes nothing' {
        $verbose = New-RawDiskImage -RootPath $Root -Path (Join-Path $Out 'w.img') -Firmware Hybrid -WhatIf -Verbose 4>&1 | Out-String
        $verbose | Should -Match 'bios-boot'
        $verbose | Should -Match 'esp'
        $verbose | Should -Match '/boot/vmlinuz-6.1.0-fixture'
        Get-ChildItem $Out -Force | Should -BeNullOrEmpty
    }

    It 'refuses an existing file with ImageExists' {
        Set-Content (Join-Path $Out 'e.img') 'keep'
        { New-RawDiskImage -RootPath $Root -Path (Join-Path $Out 'e.img') -ErrorAction Stop } |
            Should -Throw -ErrorId 'ImageExists,GentooImage.Commands.NewRawDiskImageCommand'
        Get-Content (Join-Path $Out 'e.img') | Should -Be 'keep'
    }

    It 'refuses a too small size with ImageTooSmall' {
        { New-RawDiskImage -RootPath $Root -Path (Join-Path $Out 's.img') -Size 8MB -ErrorAction Stop } |
            Should -Throw -ErrorId 'ImageTooSmall,GentooImage.Commands.NewRawDiskImageCommand'
        Get-ChildItem $Out -Force | Should -BeNullOrEmpty
    }

    It 'reports a missing kernel with KernelNotFound' {
        { New-RawDiskImage -RootPath $Root -Path (Join-Path $Out 'k.img') -Kernel /boot/missing -ErrorAction Stop } |
            Should -Throw -ErrorId 'KernelNotFound,GentooImage.Commands.NewRawDiskImageCommand'
    }
}
