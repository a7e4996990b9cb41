# The root guard's table: every cmdlet with every kind of dangerous path or value, run in a private
# mount namespace with overlays over the host's system directories (tests/HostSafety/
# Invoke-GuardTable.ps1), so that a regression cannot harm the machine that runs the tests. Each
# case must be refused with its ErrorId, by the real run and by -WhatIf alike, and nothing may
# change: no overlay upper directory, no mount, no input.
BeforeDiscovery {
    $script:Cmdlets = 'New-Stage3Root', 'Mount-BuildFilesystems', 'Dismount-BuildFilesystems', 'Invoke-GentooChroot',
        'Set-KernelConfig', 'Initialize-CloudGuest', 'New-RawDiskImage', 'Get-BuildRoot', 'Test-RawDiskImage'
}

Describe 'The root guard (in a private mount namespace with overlays)' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'Common.ps1')
        $script:Work = New-GiTestDirectory 'hostsafety'
        $resultPath = Join-Path $Work 'result.json'
        # The host's system mounts (other tests' roots under /tmp may come and go meanwhile).
        function Get-HostSystemMounts {
            [GentooImage.Engine.Platform.MountTable]::Read() | Where-Object { -not $_.MountPoint.StartsWith('/tmp/') -and -not $_.MountPoint.StartsWith('/var/cache/gentooimage-tests/') } | ForEach-Object Key
        }
        $hostMountsBefore = @(Get-HostSystemMounts)
        & unshare --mount --propagation private -- dotnet pwsh -NoProfile -NonInteractive -File (Join-Path $PSScriptRoot 'HostSafety/Invoke-GuardTable.ps1') -WorkDir $Work -ResultPath $resultPath 2>&1 | Out-Host
        $script:ChildExit = $LASTEXITCODE
        $script:R = if (Test-Path $resultPath) { Get-Content -Raw $resultPath | ConvertFrom-Json } else { $null }
        $script:HostMountsSame = -not (Compare-Object $hostMountsBefore @(Get-HostSystemMounts))
    }
    AfterAll {
        Remove-GiTestDirectory $Work
    }

    It 'ran inside its namespace with overlays over the system directories' {
        $ChildExit | Should -Be 0
        $R | Should -Not -BeNullOrEmpty
        $R.Overlaid | Should -Contain '/etc'
        $R.Overlaid | Should -Contain '/var'
        $R.Overlaid | Should -Contain '/usr'
        $R.Overlaid | Should -Contain '/dev'
        $R.Overlaid | Should -Contain '/run'
        $R.Cases.Count | Should -BeGreaterThan 100
    }

    It '<_> refuses every bad input with its ErrorId' -ForEach $Cmdlets {
        $name = $_
        $mine = @($R.Cases | Where-Object Cmdlet -eq $name)
        $mine.Count | Should -BeGreaterThan 9
        $wrong = $mine | Where-Object { $_.Run -ne $_.Expected } | ForEach-Object { "$($_.Input): got $($_.Run), expected $($_.Expected)" }
        $wrong | Should -BeNullOrEmpty
    }

    It '<_> refuses the same inputs under -WhatIf' -ForEach ($Cmdlets | Where-Object { $_ -notin 'Get-BuildRoot', 'Test-RawDiskImage' }) {
        $name = $_
        $wrong = $R.Cases | Where-Object { $_.Cmdlet -eq $name -and $null -ne $_.WhatIf -and $_.WhatIf -ne $_.Expected } |
            ForEach-Object { "$($_.Input): -WhatIf got $($_.WhatIf), expected $($_.Expected)" }
        $wrong | Should -BeNullOrEmpty
    }

    It 'changed nothing in any overlaid system directory' {
        $R.UpperChanges | Should -BeNullOrEmpty
    }

    It 'left the mount table of its namespace, and the host''s, as they were' {
        $R.MountChanges | Should -BeNullOrEmpty
        $HostMountsSame | Should -BeTrue
    }

    It 'changed none of the inputs: the plain directory, another system''s root, the root, the log, the config, the device node, the tested image' {
        $R.PlainChanges | Should -BeNullOrEmpty
        $R.ForeignChanges | Should -BeNullOrEmpty
        $R.ForeignData | Should -Be 'years of work'
        $R.TestedSame | Should -BeTrue
        $R.RootChanges | Should -BeNullOrEmpty
        $R.NewRootMade | Should -BeFalse
        $R.LogContent.Trim() | Should -Be 'keep me'
        $R.PasswdSame | Should -BeTrue
        $R.NodeIsBlock | Should -BeTrue
    }
}
