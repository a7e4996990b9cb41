BeforeAll {
    . "$PSScriptRoot/Common.ps1"
    function Get-MountsBelow([string] $Dir) {
        Get-Content /proc/self/mountinfo | ForEach-Object { ($_ -split ' ')[4] } | Where-Object { $_ -eq $Dir -or $_.StartsWith("$Dir/") }
    }
}

Describe 'Dismount-BuildFilesystems' {
    BeforeEach {
        $script:Dir = New-GiTestDirectory 'dismount'
        $script:Root = [GentooImage.TestSupport.FixtureRoot]::Create("$Dir/root")
    }
    AfterEach {
        if ($script:Sleeper -and -not $Sleeper.HasExited) { $Sleeper.Kill(); $Sleeper.WaitForExit() }
        if (Get-MountsBelow $Dir) { Dismount-BuildFilesystems -Path $Root -Force | Out-Null }
        Remove-GiTestDirectory $Dir
    }

    It 'is safe on a root with nothing mounted' {
        $r = Dismount-BuildFilesystems -Path $Root
        $r.IsMounted | Should -BeFalse
    }

    It 'refuses with BuildRootBusy naming the process, and -Force terminates it' {
        Mount-BuildFilesystems -Path $Root | Out-Null
        $script:Sleeper = Start-Process chroot -ArgumentList $Root, '/bin/sleep', '300' -PassThru
        $deadline = [DateTime]::Now.AddSeconds(5)
        while ((Get-Item "/proc/$($Sleeper.Id)/root").LinkTarget -ne $Root -and [DateTime]::Now -lt $deadline) { Start-Sleep -Milliseconds 20 }
        $err = { Dismount-BuildFilesystems -Path $Root } | Should -Throw -ErrorId 'BuildRootBusy,GentooImage.Commands.DismountBuildFilesystemsCommand' -PassThru
        $err.Exception.Message | Should -Match "pid $($Sleeper.Id) \(sleep\)"
        Get-MountsBelow $Root | Should -Not -BeNullOrEmpty

        $r = Dismount-BuildFilesystems -Path $Root -Force
        $r.IsMounted | Should -BeFalse
        $Sleeper.WaitForExit(5000) | Should -BeTrue
        Get-MountsBelow $Root | Should -BeNullOrEmpty
    }

    It 'cleans up mounts it has no record of (a crashed session) and restores resolv.conf' {
        Mount-BuildFilesystems -Path $Root | Out-Null
        Remove-Item "$Root/var/lib/gentooimage/state.json"
        Get-Content "$Root/etc/resolv.conf" -Raw | Should -Be (Get-Content /etc/resolv.conf -Raw)
        Dismount-BuildFilesystems -Path $Root | Out-Null
        Get-MountsBelow $Root | Should -BeNullOrEmpty
        Get-Content "$Root/etc/resolv.conf" -Raw | Should -Match '192\.0\.2\.53'
    }

    It 'reports a missing root with BuildRootNotFound' {
        { Dismount-BuildFilesystems -Path "$Dir/missing" } | Should -Throw -ErrorId 'BuildRootNotFound,GentooImage.Commands.DismountBuildFilesystemsCommand'
    }
}
