# The end-to-end proof: from the loopback mirror to an image that boots to a login prompt on ttyS0
# and reports from inside what it was built to be. Real tools throughout; the kernel is built from
# Debian's linux-source-6.1 with the .config that Set-KernelConfig produced (cached by its hash).
BeforeAll {
    . "$PSScriptRoot/Common.ps1"
    $script:Dir = New-GiTestDirectory 'e2e'
    $script:Mirror = [GentooImage.TestSupport.FixtureMirror]::Create()
    $script:RootPath = Join-Path $Dir 'root'
    $log = { param($m) Write-Host "    [e2e] $m" }

    # The kernel the image will carry: x86_64 defconfig + the OpenStack preset + /proc/config.gz.
    $progress = [Action[GentooImage.Engine.Platform.ProgressReport]] { param($r) Write-Progress -Activity $r.Activity -Status $r.Status -PercentComplete $r.PercentComplete -Completed:$r.Completed }
    $script:Kernel = [GentooImage.TestSupport.FixtureKernel]::ForOpenStack((Join-Path $Dir 'kernel-config'), [Action[string]] $log, $progress)
    $script:Release = $Kernel.Release

    # The settings the cached test kernel was built with (IKCONFIG_PROC, XEN_PVH), so the root's .config is that kernel's.
    $ProofSettings = @{}
    foreach ($s in [GentooImage.TestSupport.FixtureKernel]::ProofSettings) { $ProofSettings[$s.Key] = $s.Value }

    $setup = @'
echo gentoo-e2e > /etc/hostname
printf '# placeholder: New-RawDiskImage writes the real root entry into the image\n' > /etc/fstab
passwd -d root
grep -q '^ttyS0::' /etc/inittab || echo 'ttyS0::respawn:/bin/getty -L 115200 ttyS0 vt100' >> /etc/inittab
echo "configured $(cat /etc/hostname)"
'@

    $script:Root = New-Stage3Root -Path $RootPath -Mirror $Mirror.BaseUri -KeyringPath $Mirror.Trusted.PublicKeyPath `
        -TrustedFingerprint $Mirror.Trusted.PrimaryFingerprint -CacheDirectory (Join-Path $Dir 'cache') -Verification Full
    try {
        # The guest's first-boot growth service needs util-linux and e2fsprogs, as every stage3 has.
        [GentooImage.TestSupport.FixtureHostTools]::Copy($RootPath, [string[]] @('sfdisk', 'partx', 'resize2fs', 'e2fsck', 'blkid'))
        # A real kernel tree in the root (hardlinks to the pristine cached tree: cheap, never written).
        & cp -al ([GentooImage.TestSupport.KernelSourceCache]::Tree) (Join-Path $RootPath "usr/src/linux-$Release")
        if ($LASTEXITCODE) { throw 'cp -al of the kernel tree failed' }

        $script:Root = $Root |
            Mount-BuildFilesystems -PortageTmpfsSize 64MB |
            Invoke-GentooChroot -Script $setup -InformationVariable script:ChrootOutput |
            Set-KernelConfig -Preset OpenStack -Setting $ProofSettings |
            Initialize-CloudGuest -RootPassword Empty -WarningAction SilentlyContinue |
            Dismount-BuildFilesystems
    }
    finally {
        if ((Get-BuildRoot $RootPath).IsMounted -or (Get-Content /proc/self/mountinfo | Select-String -SimpleMatch " $RootPath/")) {
            Dismount-BuildFilesystems -Path $RootPath -Force | Out-Null
        }
    }

    # Install the kernel built from the .config Set-KernelConfig wrote, then drop the tree.
    $script:RootConfig = Join-Path $RootPath "usr/src/linux-$Release/.config"
    Copy-Item $Kernel.BzImage (Join-Path $RootPath "boot/vmlinuz-$Release")
    Copy-Item $RootConfig (Join-Path $RootPath "boot/config-$Release")
    $script:RootConfigKey = [GentooImage.TestSupport.FixtureKernel]::KeyOf($RootConfig)
    Remove-Item -Recurse -Force (Join-Path $RootPath "usr/src/linux-$Release")

    $script:Image = $Root | New-RawDiskImage -Path (Join-Path $Dir 'gentoo.img')
    $script:Hybrid = $Root | New-RawDiskImage -Path (Join-Path $Dir 'hybrid.img') -Firmware Hybrid -PartitionTable Gpt

    # Growth on first boot: a copy made larger than the image New-RawDiskImage wrote.
    $script:Grown = Join-Path $Dir 'grown.img'
    & cp --sparse=always $Image.Path $Grown
    & truncate -s '+256M' $Grown

    $commands = @(
        'uname -r'
        'cat /proc/cmdline'
        'blkid'
        'cat /sys/class/block/vda1/dev; grep " / / " /proc/self/mountinfo'
        'zcat /proc/config.gz'
        'ip -4 addr show'
        'df -k /'
        'cat /sys/class/block/vda1/size'
        'cat /proc/sys/kernel/printk'
    )
    # The Hybrid GPT image boots under SeaBIOS and under OVMF beside the grown image's boot (a thread
    # job each, the module imported there too; every disk is -snapshot and each guest has one vCPU).
    $script:HybridBoots = @{}
    $jobs = @{}
    try {
        foreach ($fw in 'Bios', 'Uefi') {
            $jobs[$fw] = Start-ThreadJob -Name "e2e-hybrid-$fw" -ArgumentList $ModuleManifest, $Hybrid, $fw, (Join-Path $Dir "serial-hybrid-$fw.log") -ScriptBlock {
                param($manifest, $image, $fw, $serial)
                Import-Module $manifest
                $image | Test-RawDiskImage -Boot -Firmware $fw -TimeoutSec 240 -SerialLogPath $serial -ProgressAction SilentlyContinue
            }
        }
        $script:Boot = $Grown | Test-RawDiskImage -ExpectedPartitionTable $Image.PartitionTable -ExpectedRootUuid $Image.RootUuid `
            -ExpectedRootPartUuid $Image.RootPartUuid -Command $commands -TimeoutSec 240 -SerialLogPath (Join-Path $Dir 'serial-grown.log')
        foreach ($fw in 'Bios', 'Uefi') {
            # A boot that failed fails its own It, not the whole Describe.
            try { $HybridBoots[$fw] = $jobs[$fw] | Receive-Job -Wait -ErrorAction Stop | Select-Object -Last 1 }
            catch { $HybridBoots[$fw] = $_ }
        }
    }
    finally {
        # A failed or interrupted boot: the other jobs are stopped (each cmdlet stops its QEMU) and removed.
        foreach ($job in $jobs.Values) { $job | Stop-Job -ErrorAction SilentlyContinue; $job | Remove-Job -Force -ErrorAction SilentlyContinue }
    }
    $script:Out = @{}
    foreach ($c in $Boot.Commands) { $Out[$c.Command] = $c.Output }
}

AfterAll {
    if ($script:Mirror) { $Mirror.Dispose() }
    if ($script:Dir -and (Test-Path $Dir)) {
        if (Get-Content /proc/self/mountinfo | Select-String -SimpleMatch " $Dir/") { Dismount-BuildFilesystems -Path $RootPath -Force | Out-Null }
        Remove-GiTestDirectory $Dir
    }
}

Describe 'End to end: stage3 to a booting OpenStack image' {
    It 'verified the stage3 with the test key before extracting it' {
        $Root.Stage3.Verification | Should -Be 'SignatureAndDigest'
        $Root.Stage3.SignerFingerprint | Should -Be $Mirror.Trusted.PrimaryFingerprint
    }

    It 'ran the setup script in the chroot and recorded every step' {
        ($ChrootOutput | ForEach-Object MessageData) | Should -Contain 'configured gentoo-e2e'
        $steps = $Root.History | ForEach-Object Step
        foreach ($s in 'New-Stage3Root', 'Mount-BuildFilesystems', 'Invoke-GentooChroot', 'Set-KernelConfig', 'Initialize-CloudGuest', 'Dismount-BuildFilesystems') {
            $steps | Should -Contain $s
        }
        $Root.IsMounted | Should -BeFalse
    }

    It 'built the image kernel from the .config Set-KernelConfig produced' {
        $RootConfigKey | Should -Be ([GentooImage.TestSupport.FixtureKernel]::KeyOf($Kernel.ConfigPath))
        $Root.KernelConfig.Holding | Should -Be ($Root.KernelConfig.Rows.Count - 3)
    }

    It 'made images whose static checks all pass' {
        $static = $Image | Test-RawDiskImage
        $static.Checks | Where-Object { -not $_.Passed } | Should -BeNullOrEmpty
        ($static.Checks | ForEach-Object Name) | Should -Contain 'Checksum'
        ($Hybrid | Test-RawDiskImage).Checks | Where-Object { -not $_.Passed } | Should -BeNullOrEmpty
    }

    It 'boots (BIOS, MBR) to a login prompt on ttyS0' {
        $Boot.Booted | Should -BeTrue -Because "the serial log is $($Boot.SerialLogPath)"
        $Boot.Checks | Where-Object { -not $_.Passed } | Should -BeNullOrEmpty
        $Boot.Commands | Where-Object ExitCode -NE 0 | Should -BeNullOrEmpty
        Get-Content $Boot.SerialLogPath -Raw | Should -Match 'login:'
    }

    It 'runs the kernel that was built, with console=ttyS0 and the recorded root' {
        $Out['uname -r'].Trim() | Should -Be $Release
        $Out['cat /proc/cmdline'] | Should -Match 'console=ttyS0'
        $Out['cat /proc/cmdline'] | Should -Match ([regex]::Escape("root=PARTUUID=$($Image.RootPartUuid)"))
    }

    It 'has / mounted from the partition New-RawDiskImage recorded' {
        $Out['blkid'] | Should -Match ('/dev/vda1:.*UUID="' + [regex]::Escape($Image.RootUuid) + '"')
        $lines = $Out['cat /sys/class/block/vda1/dev; grep " / / " /proc/self/mountinfo'] -split "`n"
        $devNumber = $lines[0].Trim()
        ($lines[1] -split ' ')[2] | Should -Be $devNumber
    }

    It "runs with every OpenStack preset value that holds in its /proc/config.gz" {
        $running = @{}
        foreach ($l in $Out['zcat /proc/config.gz'] -split "`n") {
            if ($l -match '^CONFIG_(\w+)=(.*)$') { $running[$Matches[1]] = $Matches[2] }
        }
        $holding = $Root.KernelConfig.Rows | Where-Object Holds
        $holding.Count | Should -BeGreaterThan 50
        foreach ($row in $holding) {
            $actual = if ($running.ContainsKey($row.Symbol)) { $running[$row.Symbol] } else { 'n' }
            $actual | Should -Be $row.Requested -Because "CONFIG_$($row.Symbol) was requested as $($row.Requested)"
        }
        $running['IKCONFIG_PROC'] | Should -Be 'y'
    }

    It 'got an address by DHCP from QEMU user networking' {
        $Out['ip -4 addr show'] | Should -Match 'inet 10\.0\.2\.15/'
    }

    It 'grew the root partition and filesystem on first boot' {
        $sectors = [long] $Out['cat /sys/class/block/vda1/size'].Trim()
        $sectors * 512 | Should -BeGreaterThan ($Image.VirtualSize)
        $sizeKb = [long] (($Out['df -k /'] -split "`n")[-1] -split '\s+')[1]
        $sizeKb * 1024 | Should -BeGreaterThan ($Image.VirtualSize - 1MB)
    }

    It 'keeps kernel messages out of command output (console log level 1 after the login)' {
        ($Out['cat /proc/sys/kernel/printk'].Trim() -split '\s+')[0] | Should -Be '1'
    }

    It 'boots the Hybrid GPT image under <_>' -ForEach 'Bios', 'Uefi' {
        $r = $HybridBoots[$_]
        if ($r -is [System.Management.Automation.ErrorRecord]) { throw $r }
        $r.Booted | Should -BeTrue -Because "the serial log is $($r.SerialLogPath)"
        $r.Firmware | Should -Be $_
    }

    It 'left no QEMU process behind' {
        Get-Process qemu-system-x86_64 -ErrorAction SilentlyContinue |
            Where-Object { $_.CommandLine -match [regex]::Escape($Dir) } | Should -BeNullOrEmpty
    }
}

# The same image, unchanged, as a Xen guest: Debian's Xen 4.17 and a dom0 inside QEMU (TCG), the
# image as the dom0's second disk, booted by pvgrub2 from its own grub.cfg as a PV guest and by
# pvgrub2's PVH build as a PVH guest (the test kernel has XEN_PVH=y). HVM is in the slow set
# (GENTOOIMAGE_XEN_HVM=1): SeaBIOS and GRUB's disk reads take minutes under TCG.
Describe 'End to end under Xen: the same image as a PV and a PVH guest' {
    BeforeAll {
        $xenCommands = @(
            'cat /sys/hypervisor/type'
            'ls /sys/block'
            'readlink /sys/class/net/eth0/device/driver; dmesg | grep -c "Initialising Xen virtual ethernet driver"'
            'cat /sys/class/tty/console/active'
            'tty'
            'uname -r'
            'dmesg | grep -E "Hypervisor detected|kernel on Xen"'
            'cat /proc/sys/kernel/printk'
        )
        # The two boots run side by side (a thread job each, the module imported there too): every
        # disk is -snapshot, so they share the image and the cached Xen host read-only, and a Xen
        # boot keeps its two vCPUs busy only part of the time.
        $script:Xen = @{}
        $jobs = @{}
        try {
            foreach ($type in 'Pv', 'Pvh') {
                $jobs[$type] = Start-ThreadJob -Name "e2e-xen-$type" -ArgumentList $ModuleManifest, $Image, $type, $xenCommands, (Join-Path $Dir "serial-xen-$type.log") -ScriptBlock {
                    param($manifest, $image, $type, $commands, $serial)
                    Import-Module $manifest
                    $image | Test-RawDiskImage -Hypervisor Xen -XenGuestType $type -Command $commands -TimeoutSec 900 -SerialLogPath $serial -ProgressAction SilentlyContinue
                }
            }
            foreach ($type in 'Pv', 'Pvh') {
                $Xen[$type] = $jobs[$type] | Receive-Job -Wait -ErrorAction Stop | Select-Object -Last 1
                $Xen["$type.Out"] = @{}
                foreach ($c in $Xen[$type].Commands) { $Xen["$type.Out"][$c.Command] = $c.Output }
                Write-Host "    [e2e] Xen $type guest: login after $($Xen[$type].BootSeconds) s (Xen $($Xen[$type].XenVersion); booted beside the other)"
            }
        }
        finally {
            # A failed or interrupted boot: the other job is stopped (its cmdlet stops its QEMU) and removed.
            foreach ($job in $jobs.Values) { $job | Stop-Job -ErrorAction SilentlyContinue; $job | Remove-Job -Force -ErrorAction SilentlyContinue }
        }
    }

    It 'boots as a Xen <_> guest to a login prompt and runs every command' -ForEach 'Pv', 'Pvh' {
        $r = $Xen[$_]
        $r.Booted | Should -BeTrue -Because "the serial log is $($r.SerialLogPath)"
        $r.Hypervisor | Should -Be 'Xen'
        $r.XenGuestType | Should -Be $_
        $r.XenVersion | Should -Match '^4\.17\.'
        $r.Commands | Where-Object ExitCode -NE 0 | Should -BeNullOrEmpty
    }

    It 'runs under Xen as a <_> guest: /sys/hypervisor/type, xvda, xen-netfront, hvc0' -ForEach 'Pv', 'Pvh' {
        $out = $Xen["$_.Out"]
        $out['cat /sys/hypervisor/type'].Trim() | Should -Be 'xen'
        $out['ls /sys/block'] -split '\s+' | Should -Contain 'xvda'
        $out['ls /sys/block'] | Should -Not -Match 'vda(?<!xvda)'
        # xen-netfront registers on the xenbus as the "vif" driver.
        $nic = $out['readlink /sys/class/net/eth0/device/driver; dmesg | grep -c "Initialising Xen virtual ethernet driver"'] -split "`n"
        $nic[0].Trim() | Should -Match '/vif$'
        [int] $nic[1].Trim() | Should -BeGreaterThan 0
        $out['cat /sys/class/tty/console/active'] | Should -Match 'hvc0'
        $out['tty'].Trim() | Should -Be '/dev/hvc0'
        $out['uname -r'].Trim() | Should -Be $Release
        # No kernel message on hvc0 can land in a command's output ("random: crng init done" did).
        ($out['cat /proc/sys/kernel/printk'].Trim() -split '\s+')[0] | Should -Be '1'
        # The kernel's own word for the mode it runs in: "Xen PV" for PV, "on Xen PVH" for PVH.
        $mode = $out['dmesg | grep -E "Hypervisor detected|kernel on Xen"']
        if ($_ -eq 'Pv') { $mode | Should -Match 'Hypervisor detected: Xen PV\b'; $mode | Should -Not -Match 'PVH' }
        else { $mode | Should -Match 'paravirtualized kernel on Xen PVH' }
    }

    It 'left no QEMU process behind' {
        Get-Process qemu-system-x86_64 -ErrorAction SilentlyContinue |
            Where-Object { $_.CommandLine -match [regex]::Escape($Dir) } | Should -BeNullOrEmpty
    }
}

Describe 'End to end under Xen, slow set: HVM and pygrub (GENTOOIMAGE_XEN_HVM=1)' -Skip:(-not $env:GENTOOIMAGE_XEN_HVM) {
    It 'boots as a Xen PV guest through pygrub in dom0, which parses the same grub.cfg' {
        $r = $Image | Test-RawDiskImage -Hypervisor Xen -XenGuestType Pv -XenBootLoader PyGrub -TimeoutSec 900 `
            -SerialLogPath (Join-Path $Dir 'serial-xen-pygrub.log') -Command 'cat /sys/hypervisor/type', 'tty'
        $r.Booted | Should -BeTrue -Because "the serial log is $($r.SerialLogPath)"
        $r.Commands[0].Output.Trim() | Should -Be 'xen'
        $r.Commands[1].Output.Trim() | Should -Be '/dev/hvc0'
    }

    It 'boots as a Xen HVM guest through SeaBIOS and its own GRUB, on ttyS0 with PV drivers' {
        $r = $Image | Test-RawDiskImage -Hypervisor Xen -XenGuestType Hvm -TimeoutSec 1800 -SerialLogPath (Join-Path $Dir 'serial-xen-hvm.log') `
            -Command 'cat /sys/hypervisor/type', 'ls /sys/block', 'tty'
        $r.Booted | Should -BeTrue -Because "the serial log is $($r.SerialLogPath)"
        $r.Commands[0].Output.Trim() | Should -Be 'xen'
        $r.Commands[1].Output -split '\s+' | Should -Contain 'xvda'
        $r.Commands[2].Output.Trim() | Should -Be '/dev/ttyS0'
    }
}
