BeforeAll {
    . "$PSScriptRoot/Common.ps1"
    # Debian's linux-source-6.1, unpacked once into /var/cache/gentooimage-tests (shared with xunit).
    $script:Tree = [GentooImage.TestSupport.KernelSourceCache]::Tree
    $script:Cmd = 'GentooImage.Commands.SetKernelConfigCommand'
}

Describe 'Set-KernelConfig -Preset' {
    It 'offers exactly the engine catalogue of presets (help and tab completion name those), each with lines' {
        $names = [GentooImage.Engine.Kernel.KernelConfigPreset]::Names
        $set = (Get-Command Set-KernelConfig).Parameters.Preset.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] }
        $set.ValidValues | Should -Be $names
        foreach ($n in $names) {
            [GentooImage.Engine.Kernel.KernelConfigPreset]::Lines($n).Count | Should -BeGreaterThan 0 -Because $n
        }
    }
}

Describe 'Set-KernelConfig' {
    BeforeEach {
        $script:Dir = New-GiTestDirectory 'kcfg'
        $script:Config = [GentooImage.TestSupport.KernelSourceCache]::NewDefconfigDir((Join-Path $Dir 'obj'))
    }
    AfterEach {
        Remove-GiTestDirectory $Dir
    }

    It 'reports the real outcome of the OpenStack preset on 6.1 defconfig, with a warning per value that does not hold' {
        $report = Set-KernelConfig -ConfigPath $Config -KernelSource $Tree -Preset OpenStack -WarningVariable warnings -WarningAction SilentlyContinue
        $report | Should -BeOfType ([GentooImage.Engine.Model.KernelConfigReport])
        $report.Rows.Count | Should -Be 54
        $report.Holding | Should -Be 51
        ($report.Rows | Where-Object { -not $_.Holds }).Symbol | Sort-Object | Should -Be @('VIRTIO_BLK_SCSI', 'XEN_ACPI_PROCESSOR', 'XEN_SCRUB_PAGES')
        ($report.Rows | Where-Object Symbol -EQ 'XEN_ACPI_PROCESSOR').Status | Should -Be 'DependencyUnmet'
        $warnings.Count | Should -Be 3
        Get-Content $Config | Should -Contain 'CONFIG_E1000=m'
        Test-Path "$Config.old" | Should -BeTrue
    }

    It 'is idempotent: a second apply changes nothing' {
        Set-KernelConfig -ConfigPath $Config -KernelSource $Tree -Preset Virtio -WarningAction SilentlyContinue | Out-Null
        $first = Get-FileHash $Config
        $again = Set-KernelConfig -ConfigPath $Config -KernelSource $Tree -Preset Virtio -WarningAction SilentlyContinue
        (Get-FileHash $Config).Hash | Should -Be $first.Hash
        $again.Rows.Status | Should -Not -Contain 'Applied'
    }

    It 'applies -Setting last (bools, CONFIG_ prefix optional) over fragments and presets' {
        $frag = Join-Path $Dir 'a.config'
        Set-Content $frag "CONFIG_E1000=y`n# CONFIG_SERIAL_8250_PCI is not set"
        $report = Set-KernelConfig -ConfigPath $Config -KernelSource $Tree -Preset KvmDrivers, SerialConsole -FragmentPath $frag `
            -Setting ([ordered]@{ CONFIG_E1000 = 'm'; SERIAL_8250_PCI = $true })
        $rows = @{}; $report.Rows | ForEach-Object { $rows[$_.Symbol] = $_ }
        $rows['E1000'].Requested | Should -Be 'm'
        $rows['E1000'].Source | Should -BeLike '-Setting entry 1*'
        $rows['SERIAL_8250_PCI'].Requested | Should -Be 'y'
        $rows['SERIAL_8250_PCI'].Holds | Should -BeTrue
    }

    It 'rejects a malformed fragment line with KernelConfigInvalid and leaves the file alone' {
        $before = Get-FileHash $Config
        $frag = Join-Path $Dir 'bad.config'
        Set-Content $frag "CONFIG_E1000=y`nCONFIG_VIRTIO=maybe"
        { Set-KernelConfig -ConfigPath $Config -KernelSource $Tree -FragmentPath $frag } |
            Should -Throw -ErrorId "KernelConfigInvalid,$Cmd"
        (Get-FileHash $Config).Hash | Should -Be $before.Hash
    }

    It 'fails with KernelConfigUnmet under -Strict' {
        { Set-KernelConfig -ConfigPath $Config -KernelSource $Tree -Preset XenDrivers -Strict -WarningAction SilentlyContinue } |
            Should -Throw -ErrorId "KernelConfigUnmet,$Cmd"
    }

    It 'writes a pending dist-kernel fragment into a build root with -DistKernel' {
        $rootDir = Join-Path $Dir 'root'
        New-Item -ItemType Directory $rootDir | Out-Null
        [GentooImage.Engine.Model.BuildRootStore]::Save([GentooImage.Engine.Model.BuildRoot]::new($rootDir))   # a root the module knows
        $root = Get-BuildRoot $rootDir | Set-KernelConfig -Preset OpenStack -DistKernel
        $file = Join-Path $rootDir 'etc/kernel/config.d/90-gentooimage.config'
        $root.KernelConfig.ConfigPath | Should -Be $file
        $root.KernelConfig.Pending | Should -BeTrue
        $root.KernelConfig.Rows.Status | Select-Object -Unique | Should -Be 'NotVerified'
        (Get-Content $file | Where-Object { $_ -match '^(# )?CONFIG_' }).Count | Should -Be 54
        (Get-BuildRoot $rootDir).History[-1].Step | Should -Be 'Set-KernelConfig'
    }

    It 'changes nothing with -WhatIf' {
        $before = Get-FileHash $Config
        Set-KernelConfig -ConfigPath $Config -KernelSource $Tree -Preset OpenStack -WhatIf | Should -BeNullOrEmpty
        (Get-FileHash $Config).Hash | Should -Be $before.Hash
    }

    It 'reports a build root without a kernel tree as KernelSourceNotFound' {
        $bare = Join-Path $Dir 'nokernel'
        New-Item -ItemType Directory $bare | Out-Null
        [GentooImage.Engine.Model.BuildRootStore]::Save([GentooImage.Engine.Model.BuildRoot]::new($bare))
        { Set-KernelConfig -Path $bare -Preset KvmDisk } | Should -Throw -ErrorId "KernelSourceNotFound,$Cmd"
    }
}
