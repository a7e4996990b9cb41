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
    . "$PSScriptRoot/RealGuest.Common.ps1"
    $script:KernelDir = New-GiTestDirectory 'rg-kernel'
    $log = { param($m) Write-Host "    [real-guest] $m" }
    $script:Kernel = [GentooImage.TestSupport.FixtureKernel]::ForOpenStack((Join-Path $KernelDir 'kernel-config'), [Action[string]] $log)
}

AfterAll {
    if ($script:KernelDir) { Remove-GiTestDirectory $KernelDir }
}

# In the default run: one DHCP boot per root (README "Tests" has the times).
Describe 'Real guests with an OpenStack config drive, booted side by side' {
    BeforeAll {
        # The two DHCP boots overlap: each guest's QEMU starts as soon as its image is written, so
        # the systemd guest boots on one core while the OpenRC image is made on the other, and the
        # OpenRC guest boots while the systemd guest is questioned. Each Describe below then waits
        # for its own guest. A guest whose image or start failed keeps its error for its Describe.
        # (In a child scope: a $flavor left here would shadow the Describes' $Flavor, names being
        # case-insensitive.)
        $script:DhcpRuns = @{}
        & { foreach ($flavor in $Flavors) {
            $run = [pscustomobject]@{
                Flavor = $flavor; Dir = $null; Keep = $null; RootPath = $null
                Built = $null; Static = $null; Drive = $null; Key = $null; SerialLog = $null; Vm = $null; LoadAtStart = $null; Error = $null
            }
            $script:DhcpRuns[$flavor] = $run
            $flog = { param($m) Write-Host "    [real-guest $flavor] $m" }.GetNewClosure()
            try {
                $run.Dir = New-GiTestDirectory "rg-$flavor"
                $run.RootPath = Join-Path $run.Dir 'root'
                $run.Keep = New-RealGuestKeep $flavor
                $watch = [Diagnostics.Stopwatch]::StartNew()
                $run.Built = New-RealGuestImage -Flavor $flavor -Dir $run.Dir -Kernel $Kernel -Log $flog
                $run.Static = $run.Built.Image | Test-RawDiskImage
                & $flog "image written after $([int]$watch.Elapsed.TotalSeconds) s ($([int]($run.Built.Image.VirtualSize / 1MB)) MiB)"
                $disk = New-RealGuestDisk -Image $run.Built.Image -Path (Join-Path $run.Dir 'disk.img')
                $run.Key = Join-Path $run.Dir 'id_ed25519'
                $public = [GentooImage.TestSupport.FixtureGuestVm]::NewKey($run.Key)
                $run.Drive = [GentooImage.TestSupport.FixtureConfigDrive]::Create($run.Dir, 'gi-guest-1', $public, $null)
                $run.SerialLog = Join-Path $run.Keep 'serial.log'
                $run.Vm = [GentooImage.TestSupport.FixtureGuestVm]::Start($disk, $run.Drive.IsoPath, $run.SerialLog, $run.Key, 1024, $null)
                $run.LoadAtStart = (Get-Content /proc/loadavg).Split(' ')[0]
            }
            catch {
                $run.Error = $_
                & $flog "failed before its boot: $_"
            }
        } }
    }

    AfterAll {
        # Every QEMU first, then each directory on its own: one failure does not leave the rest.
        foreach ($run in @($script:DhcpRuns.Values)) { if ($run.Vm) { $run.Vm.Dispose() } }
        foreach ($run in @($script:DhcpRuns.Values)) {
            try { Remove-RealGuestRun -Dir $run.Dir -RootPath $run.RootPath }
            catch { Write-Warning "real-guest $($run.Flavor) cleanup: $_" }
        }
    }

    Describe 'Real <_> guest with an OpenStack config drive' -ForEach $Flavors {
        BeforeAll {
            $script:Flavor = $_
            $log = { param($m) Write-Host "    [real-guest $Flavor] $m" }
            $run = $DhcpRuns[$Flavor]
            if ($run.Error) { throw $run.Error }
            $script:Dir = $run.Dir
            $script:Keep = $run.Keep
            $script:RootPath = $run.RootPath
            $script:Root = $run.Built.Root
            $script:Image = $run.Built.Image
            $script:ChrootOutput = $run.Built.ChrootOutput
            $script:CloudUser = $run.Built.CloudUser
            $script:Static = $run.Static
            $script:Drive = $run.Drive
            $script:SerialLog = $run.SerialLog
            $script:Answers = [ordered]@{}
            $script:Vm = $run.Vm
            $loadAtStart = $run.LoadAtStart
            $script:Up = $Vm.WaitForSsh($CloudUser, [TimeSpan]::FromSeconds(600))
            $script:Timing = "SSH as {0}: {1} after {2:0} s, QEMU {3:0} CPU-s (TCG); host load average {4} at QEMU start, {5} at SSH (the other guest's image or boot beside it)" -f
                $CloudUser, $Up, $Vm.SecondsToSsh, $Vm.CpuSecondsToSsh, $loadAtStart, (Get-Content /proc/loadavg).Split(' ')[0]
            & $log $Timing

            function script:NeedSsh {
                if (-not $Up) { throw "No SSH login as $CloudUser, so nothing to ask the guest: see $SerialLog" }
            }
            function script:Ask([string] $Command, [int] $TimeoutSec = 120) {
                $r = $Vm.Ssh($CloudUser, $Command, [TimeSpan]::FromSeconds($TimeoutSec), [string[]] @())
                $Answers[$Command] = [pscustomobject]@{ ExitCode = $r.Item1; Output = $r.Item2; Error = $r.Item3 }
                $Answers[$Command]
            }
            if ($Up) {
                $script:Status = Ask 'cloud-init status --wait --long' 300
                # OpenRC: --crashed lists daemons that died; a one-shot service that failed is in /run/openrc/failed.
                $script:InitQuery = if ($Flavor -eq 'systemd') { 'systemctl --failed --no-legend --plain' } else { 'rc-status --crashed; ls -A /run/openrc/failed 2>/dev/null' }
                foreach ($c in 'hostname', 'getent hosts "$(hostname)"', "cat $([GentooImage.TestSupport.FixtureConfigDrive]::UserDataFile)",
                    "cat $([GentooImage.TestSupport.FixtureConfigDrive]::RunCmdFile)", 'sudo grep -E "ERROR|Traceback|CRITICAL" /var/log/cloud-init.log',
                    'sudo sshd -T', 'ip -4 -o addr show scope global', 'ip -4 route', 'cat /sys/class/block/vda1/size', 'df -B1 --output=size /',
                    'cat /proc/cmdline', $InitQuery, 'sudo cloud-init analyze show', 'systemd-analyze; systemd-analyze blame | head -15',
                    'systemd-analyze critical-chain ssh.service', 'rc-status -a', 'cat /proc/uptime',
                    'ssh-keyscan -t ed25519 127.0.0.1 2>/dev/null; cat /etc/ssh/ssh_host_ed25519_key.pub', 'ls /etc/ssh') {
                    Ask $c | Out-Null
                }
                # Password login: the server must offer public keys only.
                $r = $Vm.Ssh($CloudUser, 'true', [TimeSpan]::FromSeconds(60),
                    [string[]] @('-o', 'PubkeyAuthentication=no', '-o', 'PreferredAuthentications=password,keyboard-interactive'))
                $script:PasswordTry = [pscustomobject]@{ ExitCode = $r.Item1; Output = $r.Item2; Error = $r.Item3 }
            }
            $Answers | ConvertTo-Json -Depth 4 | Set-Content (Join-Path $Keep 'answers.json')
            $Timing | Set-Content (Join-Path $Keep 'timing.txt')
        }

        AfterAll {
            # This guest's QEMU stops now, so the next guest has the core; the directory goes with the file's AfterAll.
            if ($DhcpRuns[$Flavor].Vm) { $DhcpRuns[$Flavor].Vm.Dispose() }
        }

        It 'went through the public pipeline and passes the static checks' {
            ($ChrootOutput | ForEach-Object MessageData) | Should -Contain 'setup ran in Gentoo Base System release 2.17 (test guest userland from Debian packages)'
            $Static.Checks | Where-Object { -not $_.Passed } | Should -BeNullOrEmpty
        }

        It 'lets the cloud user in over SSH with the injected key' {
            $Up | Should -BeTrue -Because "the serial log is $SerialLog"
        }

        It 'allows no password login' {
            NeedSsh
            $PasswordTry.ExitCode | Should -Not -Be 0
            $PasswordTry.Error | Should -Match 'Permission denied \(publickey\)'
            $Answers['sudo sshd -T'].Output | Should -Match '(?m)^passwordauthentication no$'
        }

        It "took the metadata's hostname, and it resolves" {
            NeedSsh
            $Answers['hostname'].Output.Trim() | Should -Be $Drive.Hostname
            $Answers['getent hosts "$(hostname)"'].ExitCode | Should -Be 0
        }

        It 'ran the user data (write_files and runcmd)' {
            NeedSsh
            $Answers["cat $([GentooImage.TestSupport.FixtureConfigDrive]::UserDataFile)"].Output | Should -Be "written by user data`n"
            $Answers["cat $([GentooImage.TestSupport.FixtureConfigDrive]::RunCmdFile)"].Output | Should -Match '^\d+'
        }

        It 'finished cloud-init without errors' {
            NeedSsh
            $Status.Output | Should -Match 'status: done'
            $Answers['sudo grep -E "ERROR|Traceback|CRITICAL" /var/log/cloud-init.log'].Output | Should -BeNullOrEmpty
        }

        It 'serves the host key cloud-init left on disk (sshd did not start before cloud-init replaced it), and makes no DSA key' {
            NeedSsh
            $lines = $Answers['ssh-keyscan -t ed25519 127.0.0.1 2>/dev/null; cat /etc/ssh/ssh_host_ed25519_key.pub'].Output.Trim() -split "`n"
            $served = ($lines | Where-Object { $_ -match '^127\.0\.0\.1 ssh-ed25519 ' }) -split ' '
            $disk = ($lines | Where-Object { $_ -match '^ssh-ed25519 ' }) -split ' '
            $served[2] | Should -Not -BeNullOrEmpty
            $served[2] | Should -Be $disk[1]
            # Only the types sshd loads (no DSA, Initialize-CloudGuest's ssh_genkeytypes).
            ($Answers['ls /etc/ssh'].Output -split "`n" | Where-Object { $_ -match '^ssh_host_.*_key$' } | Sort-Object) -join ' ' |
                Should -Be 'ssh_host_ecdsa_key ssh_host_ed25519_key ssh_host_rsa_key'
        }

        It 'starts sshd after cloud-init''s network stage and before its config stage (OpenRC)' -Skip:($_ -ne 'openrc') {
            NeedSsh
            # OpenRC's own lines on the serial console, in the order it ran the services.
            $serial = (Get-Content -Raw $SerialLog) -replace '\x1b\[[0-9;]*[A-Za-z]', ''
            $network = [regex]::Match($serial, 'cloud-init \.\.\.')
            $sshd = [regex]::Match($serial, 'Starting sshd')
            $config = [regex]::Match($serial, 'cloud-init config')
            $network.Success, $sshd.Success, $config.Success | Should -Be @($true, $true, $true) -Because "the serial log is $SerialLog"
            $sshd.Index | Should -BeGreaterThan $network.Index
            $sshd.Index | Should -BeLessThan $config.Index
        }

        It 'has no failed services (systemd: failed units; OpenRC: crashed daemons and failed services)' {
            NeedSsh
            $Answers[$InitQuery].ExitCode | Should -BeIn @(0, 1, 2)
            $Answers[$InitQuery].Output.Trim() | Should -BeNullOrEmpty
        }

        It 'got its address by DHCP' {
            NeedSsh
            $Answers['ip -4 -o addr show scope global'].Output | Should -Match 'inet 10\.0\.2\.15/24'
            $Answers['ip -4 route'].Output | Should -Match 'default via 10\.0\.2\.2'
        }

        It 'grew the root partition and file system to the disk' {
            NeedSsh
            ([long] $Answers['cat /sys/class/block/vda1/size'].Output.Trim()) * 512 | Should -BeGreaterThan $Image.VirtualSize
            ([long] (($Answers['df -B1 --output=size /'].Output.Trim() -split "`n")[-1])) | Should -BeGreaterThan $Image.VirtualSize
        }
    }
}

# Static networking from network_data.json (an OpenStack network without DHCP): a second boot per
# root whose config drive declares a fixed IPv4 address. systemd: cloud-init renders it; OpenRC:
# Initialize-CloudGuest's gentooimage-netdata boot service does. Opt-in (another TCG boot per root,
# which the default run's time budget has no room for): GENTOOIMAGE_STATIC_GUESTS=1.
Describe 'Real <_> guest on a static network from network_data.json' -ForEach $Flavors -Skip:(-not $env:GENTOOIMAGE_STATIC_GUESTS) {
    BeforeAll {
        $script:Flavor = $_
        $log = { param($m) Write-Host "    [static-guest $Flavor] $m" }
        $script:Dir = New-GiTestDirectory "rgs-$Flavor"
        $script:Keep = New-RealGuestKeep "$Flavor-static"
        $script:RootPath = Join-Path $Dir 'root'
        $built = New-RealGuestImage -Flavor $Flavor -Dir $Dir -Kernel $Kernel -Log $log
        $script:CloudUser = $built.CloudUser
        $disk = New-RealGuestDisk -Image $built.Image -Path (Join-Path $Dir 'disk.img')
        $key = Join-Path $Dir 'id_ed25519'
        $public = [GentooImage.TestSupport.FixtureGuestVm]::NewKey($key)
        $network = [GentooImage.TestSupport.FixtureConfigDrive]::StaticNetwork('10.0.2.50', '255.255.255.0', '10.0.2.2', '10.0.2.3')
        $drive = [GentooImage.TestSupport.FixtureConfigDrive]::Create($Dir, 'gi-static-1', $public, $network)
        $script:Answers = [ordered]@{}
        $script:Vm = [GentooImage.TestSupport.FixtureGuestVm]::Start($disk, $drive.IsoPath, (Join-Path $Keep 'serial.log'), $key, 1024, '10.0.2.50')
        $loadAtStart = (Get-Content /proc/loadavg).Split(' ')[0]
        $script:Up = $Vm.WaitForSsh($CloudUser, [TimeSpan]::FromSeconds(600))
        $timing = "SSH to 10.0.2.50 as {0}: {1} after {2:0} s, QEMU {3:0} CPU-s (TCG); host load average {4} at QEMU start, {5} at SSH" -f
            $CloudUser, $Up, $Vm.SecondsToSsh, $Vm.CpuSecondsToSsh, $loadAtStart, (Get-Content /proc/loadavg).Split(' ')[0]
        & $log $timing
        $timing | Set-Content (Join-Path $Keep 'timing.txt')
        if ($Up) {
            foreach ($c in 'ip -4 -o addr show scope global', 'ip -4 route', 'cat /etc/resolv.conf', 'cloud-init status --wait --long') {
                $r = $Vm.Ssh($CloudUser, $c, [TimeSpan]::FromSeconds(300), [string[]] @())
                $Answers[$c] = [pscustomobject]@{ ExitCode = $r.Item1; Output = $r.Item2; Error = $r.Item3 }
            }
        }
        $Answers | ConvertTo-Json -Depth 4 | Set-Content (Join-Path $Keep 'answers.json')
    }

    AfterAll {
        Remove-RealGuestRun -Vm $script:Vm -Dir $script:Dir -RootPath $script:RootPath
    }

    It 'came up with exactly the declared address and a default route' {
        $Up | Should -BeTrue
        $addresses = @($Answers['ip -4 -o addr show scope global'].Output -split "`n" | Where-Object { $_ -match 'inet ' })
        $addresses.Count | Should -Be 1
        $addresses[0] | Should -Match 'inet 10\.0\.2\.50/24'
        $Answers['ip -4 route'].Output | Should -Match 'default via 10\.0\.2\.2'
        if ($Flavor -eq 'openrc') {
            # dhcpcd's resolv.conf hook writes it; on systemd without systemd-resolved the DNS server sits in networkd's link state.
            $Answers['cat /etc/resolv.conf'].Output | Should -Match 'nameserver 10\.0\.2\.3'
        }
        $Answers['cloud-init status --wait --long'].Output | Should -Match 'status: done'
    }
}

# The real guests as Xen PV guests (pvgrub2 from their own grub.cfg) under Debian's Xen 4.17 inside
# QEMU: the same images, to a login prompt on hvc0 (systemd's getty generator, OpenRC's inittab line
# through console-getty). No config drive and no DHCP on dom0's bridge, so cloud-init finds no
# datasource: this proves boot and console, the KVM boots above prove the cloud path. Opt-in
# (GENTOOIMAGE_XEN_REAL_GUESTS=1): two more TCG boots of a full userland inside Xen inside QEMU.
Describe 'Real <_> guest as a Xen PV guest' -ForEach $Flavors -Skip:(-not $env:GENTOOIMAGE_XEN_REAL_GUESTS) {
    BeforeAll {
        $script:Flavor = $_
        $log = { param($m) Write-Host "    [xen-guest $Flavor] $m" }
        $script:Dir = New-GiTestDirectory "rgx-$Flavor"
        $script:Keep = New-RealGuestKeep "$Flavor-xen-pv"
        $script:RootPath = Join-Path $Dir 'root'
        $built = New-RealGuestImage -Flavor $Flavor -Dir $Dir -Kernel $Kernel -Log $log
        $script:Xen = $built.Image | Test-RawDiskImage -Hypervisor Xen -XenGuestType Pv -TimeoutSec 1500 -SerialLogPath (Join-Path $Keep 'serial.log')
        & $log "login prompt: $($Xen.Booted) after $($Xen.BootSeconds) s (Xen $($Xen.XenVersion))"
    }

    AfterAll {
        Remove-RealGuestRun -Dir $script:Dir -RootPath $script:RootPath
    }

    It 'reaches a login prompt on hvc0' {
        $Xen.Booted | Should -BeTrue -Because "the serial log is $($Xen.SerialLogPath)"
        $Xen.XenGuestType | Should -Be 'Pv'
        # /etc/issue names the terminal (\l) on the line above the prompt (the kernel's own
        # "console=hvc0" elsewhere in the log does not count).
        Get-Content -Raw $Xen.SerialLogPath | Should -Match 'hvc0[ \t]*(\r*\n)+[ \t]*\S+ login:'
    }
}
