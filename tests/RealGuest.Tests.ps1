# Real guests: a systemd and an OpenRC userland made of real programs (Debian's packages: systemd or
# OpenRC under sysvinit, cloud-init, OpenSSH, dhcpcd), turned into images by the public pipeline,
# booted under QEMU with an OpenStack config drive as Nova writes it, and reached over SSH with the
# key the metadata injected. The roots are cached by FixtureDebianGuest; the kernel is the one the
# end-to-end test builds (defconfig + the OpenStack preset). What the guest answered and its serial
# log are kept under out/TestResults/real-guests/<flavor>/.
BeforeDiscovery {
    $script:Flavors = @('systemd', 'openrc')
}

BeforeAll {
    . "$PSScriptRoot/Common.ps1"
    $script:KernelDir = New-GiTestDirectory 'rg-kernel'
    $log = { param($m) Write-Host "    [real-guest] $m" }
    $script:Kernel = [GentooImage.TestSupport.FixtureKernel]::ForOpenStack((Join-Path $KernelDir 'kernel-config'), [Action[string]] $log)
}

AfterAll {
    if ($script:KernelDir) { Remove-GiTestDirectory $KernelDir }
}

Describe 'Real <_> guest with an OpenStack config drive' -ForEach $Flavors {
    BeforeAll {
        $script:Flavor = $_
        $log = { param($m) Write-Host "    [real-guest $Flavor] $m" }
        $script:Dir = New-GiTestDirectory "rg-$Flavor"
        $script:Keep = Join-Path $RepoRoot "out/TestResults/real-guests/$Flavor"
        if (Test-Path $Keep) { Remove-Item -Recurse -Force $Keep }
        New-Item -ItemType Directory -Force $Keep | Out-Null
        $script:RootPath = Join-Path $Dir 'root'
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $tarball = [GentooImage.TestSupport.FixtureDebianGuest]::Tarball($Flavor, [Action[string]] $log)
        & $log "root tarball ready after $([int]$watch.Elapsed.TotalSeconds) s"

        $setup = @'
locale -a | grep -qi '^en_US.utf8$'
echo "setup ran in $(cat /etc/gentoo-release)"
'@
        $script:Root = New-Stage3Root -Path $RootPath -Stage3 $tarball -Verification None -WarningAction SilentlyContinue
        try {
            $script:Root = $Root |
                Mount-BuildFilesystems -NoPortageTmpfs |
                Invoke-GentooChroot -Script $setup -InformationVariable script:ChrootOutput |
                Initialize-CloudGuest -Hostname 'gentoo-guest' -WarningAction SilentlyContinue |
                Dismount-BuildFilesystems
        }
        finally {
            if (Get-Content /proc/self/mountinfo | Select-String -SimpleMatch " $RootPath/") {
                Dismount-BuildFilesystems -Path $RootPath -Force | Out-Null
            }
        }

        Copy-Item $Kernel.BzImage (Join-Path $RootPath "boot/vmlinuz-$($Kernel.Release)")
        $script:CloudUser = if ((Get-Content -Raw (Join-Path $RootPath 'etc/cloud/cloud.cfg')) -match '(?m)^\s*default_user:\s*\n\s*name:\s*(\S+)') { $Matches[1] } else { 'root' }
        $script:Image = $Root | New-RawDiskImage -Path (Join-Path $Dir "$Flavor.img")
        $script:Static = $Image | Test-RawDiskImage
        & $log "image written after $([int]$watch.Elapsed.TotalSeconds) s ($([int]($Image.VirtualSize / 1MB)) MiB)"

        # The flavor's disk is bigger than the image: the root must grow on first boot.
        $script:Disk = Join-Path $Dir 'disk.img'
        & cp --sparse=always $Image.Path $Disk
        & truncate -s '+1G' $Disk

        $key = Join-Path $Dir 'id_ed25519'
        $public = [GentooImage.TestSupport.FixtureGuestVm]::NewKey($key)
        $script:Drive = [GentooImage.TestSupport.FixtureConfigDrive]::Create($Dir, 'gi-guest-1', $public, $null)
        $script:SerialLog = Join-Path $Keep 'serial.log'
        $script:Answers = [ordered]@{}
        $script:Vm = [GentooImage.TestSupport.FixtureGuestVm]::Start($Disk, $Drive.IsoPath, $SerialLog, $key, 1024, $null)
        $script:Up = $Vm.WaitForSsh($CloudUser, [TimeSpan]::FromSeconds(420))
        & $log ("SSH as {0}: {1} after {2:0} s" -f $CloudUser, $Up, $Vm.SecondsToSsh)

        function script:Ask([string] $Command, [int] $TimeoutSec = 120) {
            $r = $Vm.Ssh($CloudUser, $Command, [TimeSpan]::FromSeconds($TimeoutSec), [string[]] @())
            $Answers[$Command] = [pscustomobject]@{ ExitCode = $r.Item1; Output = $r.Item2; Error = $r.Item3 }
            $Answers[$Command]
        }
        if ($Up) {
            $script:Status = Ask 'cloud-init status --wait --long' 300
            $initQuery = if ($Flavor -eq 'systemd') { 'systemctl --failed --no-legend --plain' } else { 'rc-status --crashed' }
            foreach ($c in 'hostname', 'getent hosts "$(hostname)"', "cat $([GentooImage.TestSupport.FixtureConfigDrive]::UserDataFile)",
                "cat $([GentooImage.TestSupport.FixtureConfigDrive]::RunCmdFile)", 'sudo grep -E "ERROR|Traceback|CRITICAL" /var/log/cloud-init.log',
                'sudo sshd -T', 'ip -4 -o addr show scope global', 'ip -4 route', 'cat /sys/class/block/vda1/size', 'df -B1 --output=size /',
                'cat /proc/cmdline', $initQuery, 'sudo cloud-init analyze show', 'systemd-analyze; systemd-analyze blame | head -15', 'rc-status -a') {
                Ask $c | Out-Null
            }
            # Password login: the server must offer public keys only.
            $r = $Vm.Ssh($CloudUser, 'true', [TimeSpan]::FromSeconds(60),
                [string[]] @('-o', 'PubkeyAuthentication=no', '-o', 'PreferredAuthentications=password,keyboard-interactive'))
            $script:PasswordTry = [pscustomobject]@{ ExitCode = $r.Item1; Output = $r.Item2; Error = $r.Item3 }
        }
        $Answers | ConvertTo-Json -Depth 4 | Set-Content (Join-Path $Keep 'answers.json')
        "SSH after $($Vm.SecondsToSsh) s (TCG)" | Set-Content (Join-Path $Keep 'timing.txt')
    }

    AfterAll {
        if ($script:Vm) { $Vm.Dispose() }
        if ($script:Dir -and (Test-Path $Dir)) {
            if (Get-Content /proc/self/mountinfo | Select-String -SimpleMatch " $Dir/") { Dismount-BuildFilesystems -Path $RootPath -Force | Out-Null }
            Remove-GiTestDirectory $Dir
        }
    }

    It 'went through the public pipeline and passes the static checks' {
        ($ChrootOutput | ForEach-Object MessageData) | Should -Contain 'setup ran in Gentoo Base System release 2.17 (test guest userland from Debian packages)'
        $Static.Checks | Where-Object { -not $_.Passed } | Should -BeNullOrEmpty
    }

    It 'lets the cloud user in over SSH with the injected key' {
        $Up | Should -BeTrue -Because "the serial log is $SerialLog"
    }

    It 'allows no password login' {
        $PasswordTry.ExitCode | Should -Not -Be 0
        $PasswordTry.Error | Should -Match 'Permission denied \(publickey\)'
        $Answers['sudo sshd -T'].Output | Should -Match '(?m)^passwordauthentication no$'
    }

    It "took the metadata's hostname, and it resolves" {
        $Answers['hostname'].Output.Trim() | Should -Be $Drive.Hostname
        $Answers['getent hosts "$(hostname)"'].ExitCode | Should -Be 0
    }

    It 'ran the user data (write_files and runcmd)' {
        $Answers["cat $([GentooImage.TestSupport.FixtureConfigDrive]::UserDataFile)"].Output | Should -Be "written by user data`n"
        $Answers["cat $([GentooImage.TestSupport.FixtureConfigDrive]::RunCmdFile)"].Output | Should -Match '^\d+'
    }

    It 'finished cloud-init without errors' {
        $Status.Output | Should -Match 'status: done'
        $Answers['sudo grep -E "ERROR|Traceback|CRITICAL" /var/log/cloud-init.log'].Output | Should -BeNullOrEmpty
    }

    It 'has no failed services' {
        $q = if ($Flavor -eq 'systemd') { 'systemctl --failed --no-legend --plain' } else { 'rc-status --crashed' }
        $Answers[$q].ExitCode | Should -BeIn @(0, 1)
        $Answers[$q].Output.Trim() | Should -BeNullOrEmpty
    }

    It 'got its address by DHCP' {
        $Answers['ip -4 -o addr show scope global'].Output | Should -Match 'inet 10\.0\.2\.15/24'
        $Answers['ip -4 route'].Output | Should -Match 'default via 10\.0\.2\.2'
    }

    It 'grew the root partition and file system to the disk' {
        ([long] $Answers['cat /sys/class/block/vda1/size'].Output.Trim()) * 512 | Should -BeGreaterThan $Image.VirtualSize
        ([long] (($Answers['df -B1 --output=size /'].Output.Trim() -split "`n")[-1])) | Should -BeGreaterThan $Image.VirtualSize
    }
}
