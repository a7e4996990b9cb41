BeforeAll {
    . "$PSScriptRoot/Common.ps1"
    function Get-MountsBelow([string] $Dir) {
        Get-Content /proc/self/mountinfo | ForEach-Object { ($_ -split ' ')[4] } | Where-Object { $_ -eq $Dir -or $_.StartsWith("$Dir/") }
    }
    function Get-MarkedProcess([string] $Marker) {
        Get-ChildItem /proc -Directory | Where-Object Name -match '^\d+$' | Where-Object {
            try { ([IO.File]::ReadAllText("$($_.FullName)/cmdline") -replace "`0", ' ') -match $Marker } catch { $false }
        }
    }
    $script:Dir = New-GiTestDirectory 'chroot'
    $script:RootPath = [GentooImage.TestSupport.FixtureRoot]::Create("$Dir/root")
    $script:Root = Mount-BuildFilesystems -Path $RootPath
}

AfterAll {
    if (Get-MountsBelow $Dir) { Dismount-BuildFilesystems -Path $RootPath -Force | Out-Null }
    Remove-GiTestDirectory $Dir
}

Describe 'Invoke-GentooChroot' {
    It 'streams every line to the Information stream tagged stdout/stderr and returns the root' {
        $out = $Root | Invoke-GentooChroot -Script "echo one`necho two >&2`necho three" -InformationVariable lines
        $out | Should -BeOfType ([GentooImage.Engine.Model.BuildRoot])
        @($lines | Where-Object Tags -Contains 'stdout' | ForEach-Object { "$($_.MessageData)" }) | Should -Be @('one', 'three')
        @($lines | Where-Object Tags -Contains 'stderr' | ForEach-Object { "$($_.MessageData)" }) | Should -Be @('two')
        $h = $out.History[-1]
        $h.Step | Should -Be 'Invoke-GentooChroot'
        $h.Data.ExitCode | Should -Be '0'
        $h.Data.LogPath | Should -Exist
        (Get-Content $h.Data.LogPath) | Should -Contain 'two'
    }

    It 'writes lines as they arrive (6>&1 sees the first line while the script still runs)' {
        $go = "go-$([guid]::NewGuid().ToString('N'))"
        $seen = Invoke-GentooChroot -Path $RootPath -Script "echo ping; n=0; while [ ! -e /tmp/$go ]; do sleep 0.05; n=`$((n+1)); [ `$n -lt 200 ] || exit 9; done; echo pong" 6>&1 |
            ForEach-Object { if ("$_" -eq 'ping') { New-Item "$RootPath/tmp/$go" | Out-Null }; "$_" } |
            Where-Object { $_ -in 'ping', 'pong' }
        $seen | Should -Be @('ping', 'pong')
        Remove-Item "$RootPath/tmp/$go"
    }

    It 'runs -ScriptPath with -Environment and a custom -LogPath' {
        Set-Content "$Dir/s.sh" 'echo "opts=$MAKEOPTS"'
        $r = Invoke-GentooChroot -Path $RootPath -ScriptPath "$Dir/s.sh" -Environment @{ MAKEOPTS = '-j3' } -LogPath "$Dir/run.log" -InformationVariable lines
        "$($lines[-1].MessageData)" | Should -Be 'opts=-j3'
        $r.History[-1].Data.LogPath | Should -Be "$Dir/run.log"
        Get-Content "$Dir/run.log" | Should -Contain 'opts=-j3'
    }

    It 'fails with ChrootScriptFailed naming the exit code and the log' {
        $err = { Invoke-GentooChroot -Path $RootPath -Script "echo before`nexit 3" -InformationAction SilentlyContinue } |
            Should -Throw -ErrorId 'ChrootScriptFailed,GentooImage.Commands.InvokeGentooChrootCommand' -PassThru
        $err.Exception.Message | Should -Match 'exit code 3'
        $err.Exception.Message | Should -Match 'before'
        $err.Exception.Message | Should -Match ([regex]::Escape("$RootPath/var/log/gentooimage/"))
        (Get-BuildRoot $RootPath).History[-1].Outcome | Should -Be 'Failed'
    }

    It 'times out with ChrootScriptTimedOut and leaves no process' {
        { Invoke-GentooChroot -Path $RootPath -Script 'sleep 6543 & sleep 6543' -TimeoutSec 1 } |
            Should -Throw -ErrorId 'ChrootScriptTimedOut,GentooImage.Commands.InvokeGentooChrootCommand'
        Get-MarkedProcess 'sleep 6543' | Should -BeNullOrEmpty
        Get-ChildItem "$RootPath/var/tmp" -Filter 'gentooimage-*.sh' | Should -BeNullOrEmpty
    }

    It 'stops on Ctrl+C (StopProcessing) within two seconds, killing the tree and removing the script' {
        $ps = [powershell]::Create()
        $null = $ps.AddScript("Import-Module '$ModuleManifest'; Invoke-GentooChroot -Path '$RootPath' -Script 'sleep 5432 & sleep 5432'")
        $async = $ps.BeginInvoke()
        $deadline = [DateTime]::Now.AddSeconds(15)
        while (@(Get-MarkedProcess 'sleep 5432').Count -lt 2 -and [DateTime]::Now -lt $deadline) { Start-Sleep -Milliseconds 50 }
        @(Get-MarkedProcess 'sleep 5432').Count | Should -Be 2
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $ps.Stop()
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 3
        $ps.Dispose()
        Get-MarkedProcess 'sleep 5432' | Should -BeNullOrEmpty
        Get-ChildItem "$RootPath/var/tmp" -Filter 'gentooimage-*.sh' | Should -BeNullOrEmpty
    }

    It 'refuses an unmounted root with RootNotMounted unless -AllowUnmounted' {
        $plain = [GentooImage.TestSupport.FixtureRoot]::Create("$Dir/plain")
        { Invoke-GentooChroot -Path $plain -Script 'true' } | Should -Throw -ErrorId 'RootNotMounted,GentooImage.Commands.InvokeGentooChrootCommand'
        Invoke-GentooChroot -Path $plain -Script 'echo edited > /etc/motd' -AllowUnmounted | Out-Null
        Get-Content "$plain/etc/motd" | Should -Be 'edited'
        Get-MountsBelow $plain | Should -BeNullOrEmpty
    }

    It '-WhatIf shows the script and changes nothing' {
        $before = (Get-BuildRoot $RootPath).History.Count
        $out = & dotnet pwsh -NoProfile -NonInteractive -Command "Import-Module '$ModuleManifest'; Invoke-GentooChroot -Path '$RootPath' -Script 'echo marker-4711 > /etc/whatif' -WhatIf" 2>&1
        ($out -join "`n") | Should -Match 'marker-4711'
        ($out -join "`n") | Should -Match '/etc/profile'
        "$RootPath/etc/whatif" | Should -Not -Exist
        (Get-BuildRoot $RootPath).History.Count | Should -Be $before
    }

    It 'needs exactly one of -Script and -ScriptPath' {
        { Invoke-GentooChroot -Path $RootPath } | Should -Throw -ErrorId 'InvalidArgument,GentooImage.Commands.InvokeGentooChrootCommand'
    }
}
