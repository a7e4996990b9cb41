# examples/Build-OpenStackImage.ps1 cannot reach Gentoo's mirrors here: this runs it with -Offline
# against the loopback mirror, exactly as ./build.ps1 -Task Demo does, so the script stays tested.
BeforeAll {
    . "$PSScriptRoot/Common.ps1"
    $script:Dir = New-GiTestDirectory 'example'
    $script:Output = & "$PSScriptRoot/Invoke-Demo.ps1" -WorkDirectory $Dir -ModuleManifest $ModuleManifest
    $script:Image = $Output | Where-Object { $_ -is [GentooImage.Engine.Model.DiskImage] }
    $script:Boot = $Output | Where-Object { $_ -is [GentooImage.Engine.Model.ImageTestResult] }
}

AfterAll {
    if ($script:Dir -and (Test-Path $Dir)) {
        if (Get-Content /proc/self/mountinfo | Select-String -SimpleMatch " $Dir/") { Dismount-BuildFilesystems -Path (Join-Path $Dir 'root') -Force | Out-Null }
        if ($script:Boot.SerialLogPath) { Remove-Item -Force $Boot.SerialLogPath -ErrorAction SilentlyContinue }
        Remove-GiTestDirectory $Dir
    }
}

Describe 'examples/Build-OpenStackImage.ps1 -Offline' {
    It 'writes the image with its checksum and Glance properties' {
        $Image | Should -HaveCount 1
        $Image.Path | Should -Exist
        "$($Image.Path).sha256" | Should -Exist
        $Image.GlanceProperties['os_distro'] | Should -Be 'gentoo'
        $Image.UploadCommand | Should -Match '^openstack image create'
    }

    It 'leaves nothing mounted under the root' {
        Get-Content /proc/self/mountinfo | Select-String -SimpleMatch " $Dir/" | Should -BeNullOrEmpty
        (Get-BuildRoot (Join-Path $Dir 'root')).IsMounted | Should -BeFalse
    }

    It 'configured the kernel tree with the OpenStack preset before imaging' {
        $kc = (Get-BuildRoot (Join-Path $Dir 'root')).KernelConfig
        $kc.Rows.Count | Should -BeGreaterThan 50
        $kc.NotHolding | Should -Be 3
    }

    It 'boots to a login prompt' {
        $Boot | Should -HaveCount 1
        $Boot.Booted | Should -BeTrue -Because "the serial log is $($Boot.SerialLogPath)"
        $Boot.Passed | Should -BeTrue
    }
}
