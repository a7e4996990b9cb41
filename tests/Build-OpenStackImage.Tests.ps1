# examples/Build-OpenStackImage.ps1 cannot reach Gentoo's mirrors here: this runs it with -Offline
# against the loopback mirror, exactly as ./build.ps1 -Task Demo does, so the script stays tested.
BeforeAll {
    . "$PSScriptRoot/Common.ps1"
    $script:Dir = New-GiTestDirectory 'example'
    $script:Output = & (Join-Path $RepoRoot 'tools/Invoke-Demo.ps1') -WorkDirectory $Dir -ModuleManifest $ModuleManifest
    $script:Image = $Output | Where-Object { $_ -is [GentooImage.Engine.Model.DiskImage] }
    $script:Boot = $Output | Where-Object { $_ -is [GentooImage.Engine.Model.ImageTestResult] }
}

AfterAll {
    if ($script:Dir -and (Test-Path $Dir)) {
        if (Get-Content /proc/self/mountinfo | Select-String -SimpleMatch " $Dir/") { Dismount-BuildFilesystems -Path (Join-Path $Dir 'root') -Force | Out-Null }
        # Serial logs of the boots that took the default log path (the example's and the demo's).
        Get-ChildItem ([IO.Path]::GetTempPath()) -Filter 'gi-serial-gentoo-openstack-*' | Remove-Item -Force
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

    It 'passes the user-facing Pester example, examples/Pester/OpenStackImage.Tests.ps1' {
        # In a child pwsh: Pester does not nest. The example gets the image as container data.
        $pester = (Get-Module Pester).Path
        $example = Join-Path $RepoRoot 'examples/Pester/OpenStackImage.Tests.ps1'
        $outDir = Split-Path (Split-Path $ModuleManifest -Parent) -Parent
        $cmd = "`$env:PSModulePath = '$outDir' + [IO.Path]::PathSeparator + `$env:PSModulePath; Import-Module '$pester'; " +
            "`$c = New-PesterContainer -Path '$example' -Data @{ ImagePath = '$($Image.Path)'; RootLogin = `$false; TimeoutSec = 240 }; " +
            "`$r = Invoke-Pester -Container `$c -PassThru -Output None; '{0}/{1}/{2}' -f `$r.PassedCount, `$r.FailedCount, `$r.SkippedCount"
        $counts = & dotnet pwsh -NoProfile -NonInteractive -Command $cmd
        $counts | Select-Object -Last 1 | Should -Be '3/0/1'
    }

    It 'boots to a login prompt' {
        $Boot | Should -HaveCount 1
        $Boot.Booted | Should -BeTrue -Because "the serial log is $($Boot.SerialLogPath)"
        $Boot.Passed | Should -BeTrue
    }
}
