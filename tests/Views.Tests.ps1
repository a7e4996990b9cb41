# Every view in GentooImage.Format.ps1xml, rendered as an 80-column terminal or a log would show it
# (Out-String -Width 80), with values as long as real ones: no table header may break across lines
# or lose a column, and no check of Test-RawDiskImage may be cut.
BeforeDiscovery {
    [xml] $format = Get-Content -Raw (Join-Path (Split-Path $PSScriptRoot -Parent) 'src/GentooImage/GentooImage.Format.ps1xml')
    $script:Views = @($format.Configuration.ViewDefinitions.View | ForEach-Object {
            @{
                Name   = $_.Name
                Type   = $_.ViewSelectedBy.TypeName
                Kind   = if ($_.TableControl) { 'Table' } elseif ($_.ListControl) { 'List' } else { 'Custom' }
                Labels = @(if ($_.TableControl) { $_.TableControl.TableHeaders.TableColumnHeader | ForEach-Object Label })
                Items  = @(if ($_.ListControl) {
                        $_.ListControl.ListEntries.ListEntry.ListItems.ListItem | ForEach-Object { if ($_.Label) { $_.Label } else { $_.PropertyName } }
                    })
            }
        })
}

BeforeAll {
    . "$PSScriptRoot/Common.ps1"
    $M = 'GentooImage.Engine.Model'
    $start = [DateTimeOffset]::new(2026, 12, 1, 12, 0, 0, [TimeSpan]::Zero)
    $history = @(
        [GentooImage.Engine.Model.HistoryEntry]@{ Step = 'New-Stage3Root'; Start = $start; Duration = [TimeSpan]::FromSeconds(95.2); Outcome = 'Succeeded'; Detail = 'stage3-amd64-openrc-20261124T170339Z.tar.xz verified with 13EBBDBEDE7A12775DFDB1BABB572E0E2D182910 and extracted' }
        [GentooImage.Engine.Model.HistoryEntry]@{ Step = 'Dismount-BuildFilesystems'; Start = $start.AddMinutes(30); Duration = [TimeSpan]::FromSeconds(0.4); Outcome = 'Cancelled'; Detail = 'busy' }
    )
    $mounts = @(
        [GentooImage.Engine.Model.MountRecord]::new('/var/tmp/gentoo-openstack-build/root/var/tmp/portage', 'tmpfs', 'tmpfs', 'rw,nosuid,nodev,size=8388608k,mode=775,uid=250,gid=250')
        [GentooImage.Engine.Model.MountRecord]::new('/var/tmp/gentoo-openstack-build/root/dev/pts', 'devpts', 'devpts', 'rw,nosuid,noexec,newinstance,gid=5,mode=620,ptmxmode=666')
    )
    $stage3 = [GentooImage.Engine.Model.Stage3Info]@{
        FileName = 'stage3-amd64-openrc-20261124T170339Z.tar.xz'; Flavor = 'amd64-openrc'; BuildTimestamp = '20261124T170339Z'; Size = 276543210
        Sha512 = ('ab' * 64); Verification = 'SignatureAndDigest'; SignerFingerprint = '13EBBDBEDE7A12775DFDB1BABB572E0E2D182910'
        Source = 'https://distfiles.gentoo.org/releases/amd64/autobuilds/20261124T170339Z/stage3-amd64-openrc-20261124T170339Z.tar.xz'
    }
    $rows = @(
        [GentooImage.Engine.Model.KernelConfigRow]::new('VIRTIO_BLK', 'y', 'y', 'Applied', $null)
        [GentooImage.Engine.Model.KernelConfigRow]::new('XEN_ACPI_PROCESSOR', 'y', $null, 'DependencyUnmet', 'depends on XEN_DOM0, which is n: XEN_DOM0 needs a dom0 kernel, not a guest')
        [GentooImage.Engine.Model.KernelConfigRow]::new('VIRTIO_BLK_SCSI', 'y', $null, 'Unknown', 'removed in 5.10; use SCSI_VIRTIO')
    )
    $report = [GentooImage.Engine.Model.KernelConfigReport]@{
        ConfigPath = '/var/tmp/gentoo-openstack-build/root/usr/src/linux-6.1.158-gentoo/.config'; KernelSource = '/var/tmp/gentoo-openstack-build/root/usr/src/linux-6.1.158-gentoo'
        KernelVersion = '6.1.158'; VerifiedWith = 'make olddefconfig (chroot)'; Rows = [GentooImage.Engine.Model.KernelConfigRow[]] $rows
    }
    $root = [GentooImage.Engine.Model.BuildRoot]::new('/var/tmp/gentoo-openstack-build/root')
    $root.Stage3 = $stage3
    $root.IsMounted = $true
    $root.SetMounts([GentooImage.Engine.Model.MountRecord[]] $mounts)
    $root.KernelConfig = $report
    foreach ($h in $history) { $root.AddHistory($h) }
    $image = [GentooImage.Engine.Model.DiskImage]@{
        Path = '/var/tmp/gentoo-openstack-build/out/gentoo-openstack-20261201.img'; Format = 'Raw'; VirtualSize = 8GB; AllocatedSize = 1756.2MB
        PartitionTable = 'Gpt'; Firmware = 'Hybrid'; RootUuid = '0f3c5a7e-1b2d-4c6e-8a9b-0c1d2e3f4a5b'; RootPartUuid = '6c3e0d1a-9b8f-4e7d-a6c5-b4a3928170f6'
        Kernel = '/boot/vmlinuz-6.1.158-gentoo-dist'; CommandLine = 'root=PARTUUID=6c3e0d1a-9b8f-4e7d-a6c5-b4a3928170f6 ro console=tty0 console=ttyS0,115200n8 net.ifnames=0'
        Sha256 = ('cd' * 32); Sha512 = ('ef' * 64)
        UploadCommand = 'openstack image create --disk-format raw --container-format bare --file /var/tmp/gentoo-openstack-build/out/gentoo-openstack-20261201.img gentoo-openstack-20261201'
    }
    $checks = @(
        [GentooImage.Engine.Model.ImageCheck]::new('PartitionTable', $true, 'gpt, 3 partition(s) as recorded: 1 root (Linux filesystem, 8083 MiB, last), 2 BIOS boot (1 MiB), 3 EFI system (100 MiB)')
        [GentooImage.Engine.Model.ImageCheck]::new('RootFilesystemClean', $true, 'e2fsck -fn at offset 105906176: clean, 40044/524288 files, 449584/2069248 blocks')
        [GentooImage.Engine.Model.ImageCheck]::new('BootCode', $true, 'GRUB boot code in the MBR, core image at sector 2048 (97 sectors, BIOS boot partition); EFI/BOOT/BOOTX64.EFI on the ESP (partition 3)')
        [GentooImage.Engine.Model.ImageCheck]::new('KernelAndGrubConfig', $true, '/boot/vmlinuz-6.1.158-gentoo-dist present; grub.cfg boots it with root=PARTUUID=6c3e0d1a-9b8f-4e7d-a6c5-b4a3928170f6')
        [GentooImage.Engine.Model.ImageCheck]::new('FstabRootUuid', $false, 'fstab has UUID=0f3c5a7e-1b2d-4c6e-8a9b-0c1d2e3f4a5b, the root filesystem is 11111111-2222-3333-4444-555555555555')
        [GentooImage.Engine.Model.ImageCheck]::new('Checksum', $true, '/var/tmp/gentoo-openstack-build/out/gentoo-openstack-20261201.img.sha256 matches')
    )
    $commands = @(
        [GentooImage.Engine.Model.GuestCommandResult]::new('uname -r', "6.1.158-gentoo-dist`n", 0)
        [GentooImage.Engine.Model.GuestCommandResult]::new('cat /proc/cmdline', "BOOT_IMAGE=/boot/vmlinuz-6.1.158-gentoo-dist root=PARTUUID=6c3e0d1a-9b8f-4e7d-a6c5-b4a3928170f6 ro console=tty0 console=ttyS0,115200n8 net.ifnames=0`n", 0)
        [GentooImage.Engine.Model.GuestCommandResult]::new('ip -4 addr show eth0', '', $null)
    )
    $result = [GentooImage.Engine.Model.ImageTestResult]@{
        Path = $image.Path; Checks = [GentooImage.Engine.Model.ImageCheck[]] $checks; BootTested = $true; Booted = $true; BootSeconds = 21.37
        Firmware = 'Uefi'; Accelerator = 'Tcg'; AcceleratorReason = 'a probe guest hung under KVM (nested virtualisation)'
        SerialLogPath = '/tmp/gi-serial-0123abcd.log'; Commands = [GentooImage.Engine.Model.GuestCommandResult[]] $commands
    }
    $script:Samples = @{
        "$M.BuildRoot" = @($root); "$M.HistoryEntry" = $history; "$M.MountRecord" = $mounts; "$M.Stage3Info" = @($stage3)
        "$M.KernelConfigRow" = $rows; "$M.KernelConfigReport" = @($report); "$M.DiskImage" = @($image)
        "$M.ImageCheck" = $checks; "$M.GuestCommandResult" = $commands; "$M.ImageTestResult" = @($result)
    }
    $script:Checks = $checks
    $script:Result = $result

    function Get-Rendered([object[]] $InputObject, [string] $View, [string] $Kind) {
        $formatted = switch ($Kind) {
            'Table' { $InputObject | Format-Table -View $View }
            'List' { $InputObject | Format-List -View $View }
            default { $InputObject | Format-Custom -View $View }
        }
        $formatted | Out-String -Width 80
    }
    # Text without any white space: a wrapped value (even a path cut across lines) still matches,
    # a truncated one does not.
    function Get-Flat([string] $Text) { $Text -replace '\s+', '' }
}

Describe 'View <Name>' -ForEach $Views {
    BeforeAll {
        $script:Sample = $Samples[$Type]
        $script:Lines = if ($Sample) { @((Get-Rendered $Sample $Name $Kind) -split "\r?\n") }
    }
    It 'has a sample object in this test' {
        $Sample | Should -Not -BeNullOrEmpty -Because "every view must be rendered at 80 columns; add a $Type sample"
    }
    It 'fits 80 columns' {
        $Lines | Where-Object { $_.Length -gt 80 } | Should -BeNullOrEmpty
    }
}

Describe 'Table view <Name>' -ForEach @($Views | Where-Object Kind -EQ 'Table') {
    BeforeAll {
        $script:Text = Get-Rendered $Samples[$Type] $Name $Kind
        $script:Lines = @($Text -split "\r?\n")
    }
    It 'keeps its header on one line, every column present and underlined' {
        $pattern = '^\s*' + (($Labels | ForEach-Object { [regex]::Escape($_) }) -join '\s+') + '\s*$'
        $header = @($Lines | Select-String -Pattern $pattern)
        $header.Count | Should -Be 1 -Because "the header '$($Labels -join ' ')' must be one line at 80 columns:`n$Text"
        $dashes = $Lines[$header[0].LineNumber]
        @($dashes.Trim() -split '\s+' | Where-Object { $_ -match '^-+$' }).Count | Should -Be $Labels.Count
    }
    It 'declares widths that fit 80 columns (so pwsh never squeezes a column to one letter)' {
        [xml] $format = Get-Content -Raw (Join-Path $RepoRoot 'src/GentooImage/GentooImage.Format.ps1xml')
        $view = $format.Configuration.ViewDefinitions.View | Where-Object Name -EQ $Name
        $widths = @($view.TableControl.TableHeaders.TableColumnHeader | ForEach-Object { [int] $_.Width })
        $widths | Where-Object { $_ -le 0 } | Should -BeNullOrEmpty -Because 'every column needs a width'
        ($widths | Measure-Object -Sum).Sum + $widths.Count - 1 | Should -BeLessOrEqual 79
    }
}

Describe 'List view <Name>' -ForEach @($Views | Where-Object Kind -EQ 'List') {
    It 'starts each item on its own line with its label' {
        $text = Get-Rendered $Samples[$Type] $Name $Kind
        foreach ($label in $Items) {
            ($text -split "\r?\n") | Where-Object { $_ -match "^$([regex]::Escape($label))\s*:" } | Should -Not -BeNullOrEmpty -Because "'$label' must be a list label:`n$text"
        }
    }
}

Describe 'Test-RawDiskImage result at 80 columns' {
    BeforeAll {
        $script:Text = $Result | Out-String -Width 80
        $script:Flat = Get-Flat $Text
    }
    It 'is shown by the custom view by default: a summary, then the checks as rows' {
        $Text | Should -Match '(?m)^Path\s+: /var/tmp/gentoo-openstack-build/out/gentoo-openstack-20261201\.img$'
        $Text | Should -Match '(?m)^Result\s+: FAILED \(5 of 6 checks passed; booted in 21\.4 s\)$'
        $Text | Should -Match '(?m)^Result Check\s+Detail$'
        foreach ($c in $Checks) {
            $Text | Should -Match "(?m)^$(if ($c.Passed) { 'PASS' } else { 'FAIL' })\s+$($c.Name)\s+\S"
        }
    }
    It 'shows every check''s detail in full, never cut' {
        foreach ($c in $Checks) { $Flat.Contains((Get-Flat $c.Detail)) | Should -BeTrue -Because "'$($c.Detail)' must be shown in full:`n$Text" }
        $Text | Should -Not -Match '…|\.\.\.'
    }
    It 'shows the boot and every guest command with its output' {
        $Text | Should -Match '(?m)^Boot\s+: Uefi firmware, Tcg \(a probe guest hung under KVM'
        foreach ($cmd in $Result.Commands) { $Text | Should -Match ([regex]::Escape($cmd.Command)) }
        $Flat.Contains((Get-Flat $Result.Commands[1].Output)) | Should -BeTrue
    }
    It 'names the Xen guest type and the Xen version instead of the firmware for a Xen boot' {
        $xen = [GentooImage.Engine.Model.ImageTestResult]@{
            Path = $Result.Path; Checks = $Result.Checks; BootTested = $true; Booted = $true; BootSeconds = 95.2
            Accelerator = 'Tcg'; AcceleratorReason = 'Xen inside QEMU is proven under TCG only'
            Hypervisor = 'Xen'; XenGuestType = 'Pvh'; XenVersion = '4.17.7+13-g2445b30a44-0+deb12u1'; SerialLogPath = '/tmp/x.log'
        }
        $text = $xen | Out-String -Width 80
        $text | Should -Match '(?m)^Boot\s+: Xen Pvh guest \(Xen 4\.17\.7\+13-g2445b30a44-0\+deb12u1\), Tcg'
    }
    It 'keeps its view right after a DiskImage table in the same output (New-RawDiskImage | Test-RawDiskImage in a script)' {
        $text = & { $Samples['GentooImage.Engine.Model.DiskImage'][0]; $Result } | Out-String -Width 80
        $text | Should -Match '(?m)^Result Check\s+Detail$'
        $text | Should -Not -Match 'Checks\s+: \{'
        (Get-Flat $text).Contains((Get-Flat $Samples['GentooImage.Engine.Model.DiskImage'][0].Path)) | Should -BeTrue -Because 'the image path must be shown in full (wrapped, not cut)'
    }
    It 'shows the checks alone as a table with full details ($r.Checks)' {
        $table = $Checks | Out-String -Width 80
        $flatTable = Get-Flat $table
        foreach ($c in $Checks) { $flatTable.Contains((Get-Flat $c.Detail)) | Should -BeTrue -Because "'$($c.Detail)' must be shown in full:`n$table" }
    }
}
