BeforeAll {
    . "$PSScriptRoot/Common.ps1"
    $script:Dir = New-GiTestDirectory 'testimg'
    $root = [GentooImage.TestSupport.FixtureRoot]::Create((Join-Path $Dir 'root'), $false)
    # No real kernel is needed to prove GRUB runs: the menu appears before the kernel is loaded.
    Set-Content (Join-Path $root 'boot/vmlinuz-6.1.0-fixture') 'not a kernel'
    $script:Image = New-RawDiskImage -RootPath $root -Path (Join-Path $Dir 'disk.img')
    $script:Cmd = 'GentooImage.Commands.TestRawDiskImageCommand'
    function Get-QemuFor([string] $Image) {
        Get-Process qemu-system-x86_64 -ErrorAction SilentlyContinue | Where-Object { $_.CommandLine -match [regex]::Escape($Image) }
    }
}

AfterAll {
    Remove-GiTestDirectory $Dir
}

Describe 'Test-RawDiskImage' {
    It 'passes every static check on an image from New-RawDiskImage, compared with what it recorded' {
        $r = $Image | Test-RawDiskImage
        $r | Should -BeOfType ([GentooImage.Engine.Model.ImageTestResult])
        ($r.Checks | ForEach-Object Name) | Should -Be @('PartitionTable', 'RootFilesystemClean', 'FstabRootUuid', 'BootCode', 'KernelAndGrubConfig', 'Checksum')
        $r.Checks | Where-Object { -not $_.Passed } | Should -BeNullOrEmpty
        $r.BootTested | Should -BeFalse
        $r.Passed | Should -BeTrue
    }

    It 'returns only a boolean with -Quiet' {
        Test-RawDiskImage $Image.Path -Quiet | Should -BeTrue
    }

    It 'fails the checks that do not match what was recorded' {
        $r = Test-RawDiskImage $Image.Path -ExpectedPartitionTable Gpt -ExpectedRootUuid ([guid]::NewGuid())
        ($r.Checks | Where-Object { -not $_.Passed } | ForEach-Object Name) | Should -Be @('PartitionTable', 'FstabRootUuid')
        Test-RawDiskImage $Image.Path -ExpectedPartitionTable Gpt -Quiet | Should -BeFalse
    }

    It 'notices a changed image through its checksum file' {
        $copy = Join-Path $Dir 'tampered.img'
        Copy-Item $Image.Path $copy
        (Get-Content "$($Image.Path).sha256" -Raw).Replace('disk.img', 'tampered.img') | Set-Content "$copy.sha256" -NoNewline
        $f = [IO.File]::OpenWrite($copy); $f.Position = $f.Length - 4096; $f.WriteByte(7); $f.Dispose()
        ((Test-RawDiskImage $copy).Checks | Where-Object Name -EQ 'Checksum').Passed | Should -BeFalse
    }

    It 'refuses Xen options that do not fit, before booting anything: <Name>' -ForEach @(
        @{ Name = '-Firmware under Xen'; Options = @{ Hypervisor = 'Xen'; Firmware = 'Uefi' }; Message = '-Firmware applies to KVM boots' }
        @{ Name = '-XenGuestType without -Hypervisor Xen'; Options = @{ Boot = $true; XenGuestType = 'Pvh' }; Message = 'add -Hypervisor Xen' }
        @{ Name = 'pygrub for a PVH guest'; Options = @{ Hypervisor = 'Xen'; XenGuestType = 'Pvh'; XenBootLoader = 'PyGrub' }; Message = 'PV guests only' }
    ) {
        { Test-RawDiskImage $Image.Path @Options } | Should -Throw -ErrorId "InvalidArgument,$Cmd" -ExpectedMessage "*$Message*"
        Get-QemuFor $Image.Path | Should -BeNullOrEmpty
    }

    It 'reports a missing image with InvalidArgument' {
        { Test-RawDiskImage (Join-Path $Dir 'none.img') } | Should -Throw -ErrorId "InvalidArgument,$Cmd"
    }

    It 'boots the image to the GRUB menu under TCG and ends the VM' {
        $log = Join-Path $Dir 'grub.log'
        $r = $Image | Test-RawDiskImage -Boot -Accelerator Auto -Pattern 'GNU GRUB' -TimeoutSec 120 -SerialLogPath $log
        $r.Booted | Should -BeTrue
        $r.Accelerator | Should -BeIn 'Kvm', 'Tcg'
        $r.AcceleratorReason | Should -Not -BeNullOrEmpty
        $r.BootSeconds | Should -BeGreaterThan 0
        $r.SerialLogPath | Should -Be $log
        Get-Content $log -Raw | Should -Match 'GNU GRUB'
        Get-QemuFor $Image.Path | Should -BeNullOrEmpty
    }

    It 'reports a boot that does not reach the pattern, with a warning and no VM left' {
        $r = Test-RawDiskImage $Image.Path -Boot -Accelerator Tcg -Pattern 'never-printed' -TimeoutSec 5 -SerialLogPath (Join-Path $Dir 'never.log') -WarningVariable warn -WarningAction SilentlyContinue
        $r.Booted | Should -BeFalse
        $r.Passed | Should -BeFalse
        $warn | Should -Not -BeNullOrEmpty
        Get-QemuFor $Image.Path | Should -BeNullOrEmpty
    }

    It 'ends the VM promptly on Ctrl+C' {
        $ps = [powershell]::Create()
        $null = $ps.AddScript("Import-Module '$ModuleManifest'; Test-RawDiskImage '$($Image.Path)' -Boot -Accelerator Tcg -Pattern 'never-printed' -TimeoutSec 300 -SerialLogPath '$Dir/stop.log'")
        $handle = $ps.BeginInvoke()
        $deadline = (Get-Date).AddSeconds(60)
        while (-not (Get-QemuFor $Image.Path) -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 200 }
        Get-QemuFor $Image.Path | Should -Not -BeNullOrEmpty
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $ps.Stop()
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 10
        try { $ps.EndInvoke($handle) } catch { }
        $ps.Dispose()
        Get-QemuFor $Image.Path | Should -BeNullOrEmpty
    }
}
