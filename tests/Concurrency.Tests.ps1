# One lock per root: two sessions (runspaces of one process, and two processes) on one root, started
# together; exactly one proceeds, the other gets BuildRootLocked; no double mounts; History
# complete. And different roots in parallel do not interfere.
BeforeAll {
    . "$PSScriptRoot/Common.ps1"

    function Invoke-Race {
        # Runs $Action in two runspaces released together by a barrier; returns 'ok' or the ErrorId of each.
        param([Parameter(Mandatory)] [scriptblock] $Action, [object[]] $Arguments = @())
        $barrier = [System.Threading.Barrier]::new(2)
        $manifest = $ModuleManifest
        $text = $Action.ToString()
        $out = 0..1 | ForEach-Object -ThrottleLimit 2 -Parallel {
            Import-Module $using:manifest
            $action = [scriptblock]::Create($using:text)
            $b = $using:barrier
            $null = $b.SignalAndWait([TimeSpan]::FromSeconds(60))
            $a = $using:Arguments
            try { & $action $_ @a | Out-Null; 'ok' } catch { $_.FullyQualifiedErrorId -replace ',.*$', '' }
        }
        $barrier.Dispose()
        @($out | Sort-Object)
    }

    function Get-MountsBelow([string] $Path) {
        @([GentooImage.Engine.Platform.MountTable]::Below([GentooImage.Engine.Platform.MountTable]::Read(), $Path))
    }
}

Describe 'Two sessions on one root' {
    BeforeAll {
        $script:Dir = New-GiTestDirectory 'race'
        $script:Root = [GentooImage.TestSupport.FixtureRoot]::Create((Join-Path $Dir 'root'), $false)
        [IO.File]::WriteAllBytes((Join-Path $Root 'boot/vmlinuz-6.1.0-fixture'), [byte[]]::new(4096))
        $script:Tar = Join-Path $Dir 'stage3.tar'
        [GentooImage.TestSupport.FixtureMirror]::Pack($Root, "$Tar.xz")
        $script:Rounds = 10
        $script:Expected = @('BuildRootLocked', 'ok')
    }
    AfterAll {
        Dismount-BuildFilesystems -Path $Root -Force -ErrorAction SilentlyContinue | Out-Null
        Remove-GiTestDirectory $Dir
    }

    It 'Mount-BuildFilesystems: never both at once, never a double mount' {
        $single = $null
        foreach ($i in 1..$Rounds) {
            # Mounting takes milliseconds on an idle machine: the second session may get the lock
            # after the first is done and find the root mounted (nothing to do). Either way one
            # session mounts, never both at once.
            $r = Invoke-Race { param($n, $r) Mount-BuildFilesystems -Path $r -NoPortageTmpfs } $Root
            $r | Should -BeIn @('ok', 'BuildRootLocked')
            $r | Should -Contain 'ok'
            $mounts = Get-MountsBelow $Root
            if ($null -eq $single) { $single = $mounts.Count }
            $mounts.Count | Should -Be $single
            @($mounts | Where-Object MountPoint -eq "$Root/proc").Count | Should -Be 1
            Dismount-BuildFilesystems -Path $Root | Out-Null
            (Get-MountsBelow $Root).Count | Should -Be 0
        }
    }

    It 'Dismount-BuildFilesystems: never both at once, everything unmounted' {
        foreach ($i in 1..$Rounds) {
            Mount-BuildFilesystems -Path $Root -NoPortageTmpfs | Out-Null
            $r = Invoke-Race { param($n, $r) Dismount-BuildFilesystems -Path $r } $Root
            $r | Should -BeIn @('ok', 'BuildRootLocked')
            $r | Should -Contain 'ok'
            (Get-MountsBelow $Root).Count | Should -Be 0
        }
    }

    It 'Invoke-GentooChroot: one runs, the other is refused, and History has every run' {
        $before = @((Get-BuildRoot $Root).History | Where-Object Step -eq 'Invoke-GentooChroot').Count
        $ok = 0
        foreach ($i in 1..$Rounds) {
            $r = Invoke-Race { param($n, $r) Invoke-GentooChroot -Path $r -Script 'sleep 0.2' -AllowUnmounted } $Root
            $r | Should -Be $Expected
            $ok += @($r | Where-Object { $_ -eq 'ok' }).Count
        }
        @((Get-BuildRoot $Root).History | Where-Object Step -eq 'Invoke-GentooChroot').Count | Should -Be ($before + $ok)
    }

    It 'Initialize-CloudGuest and Set-KernelConfig: never both at once, and History has every run' {
        # These take milliseconds once the root is set up, so the second session may find the
        # lock already free: then both proceed, one after the other, which History must show.
        foreach ($step in 'Initialize-CloudGuest', 'Set-KernelConfig') {
            $before = @((Get-BuildRoot $Root).History | Where-Object Step -eq $step).Count
            $ok = 0
            foreach ($i in 1..$Rounds) {
                $r = if ($step -eq 'Initialize-CloudGuest') {
                    Invoke-Race { param($n, $r) Initialize-CloudGuest -Path $r -Confirm:$false } $Root
                } else {
                    Invoke-Race { param($n, $r) Set-KernelConfig -Path $r -Preset Virtio -DistKernel -WarningAction SilentlyContinue } $Root
                }
                $r | Should -BeIn @('ok', 'BuildRootLocked')
                $r | Should -Contain 'ok'
                $ok += @($r | Where-Object { $_ -eq 'ok' }).Count
            }
            $runs = @((Get-BuildRoot $Root).History | Where-Object Step -eq $step | Select-Object -Skip $before)
            $runs.Count | Should -Be $ok
            for ($k = 1; $k -lt $runs.Count; $k++) {
                # Serialized: each run starts after the one before it ended.
                $runs[$k].Start | Should -BeGreaterOrEqual ($runs[$k - 1].Start + $runs[$k - 1].Duration)
            }
        }
    }

    It 'New-RawDiskImage: one reads the root, the other is refused' {
        foreach ($i in 1..$Rounds) {
            $out = Join-Path $Dir "img$i"
            New-Item -ItemType Directory $out | Out-Null
            Invoke-Race { param($n, $r, $o) New-RawDiskImage -RootPath $r -Path (Join-Path $o "$n.img") } $Root, $out | Should -Be $Expected
            @(Get-ChildItem $out -Filter *.img).Count | Should -Be 1
            Remove-Item $out -Recurse -Force
        }
    }

    It 'New-Stage3Root -Force: never both at once, and the root is whole' {
        $target = Join-Path $Dir 'fresh'
        foreach ($i in 1..$Rounds) {
            # The fixture extracts in a fraction of a second: a late second session may find the
            # lock free again and replace the root after the first. Never both at once.
            $r = Invoke-Race { param($n, $t, $s) New-Stage3Root -Path $t -Stage3 $s -Verification None -Force } $target, "$Tar.xz"
            $r | Should -BeIn @('ok', 'BuildRootLocked')
            $r | Should -Contain 'ok'
            Test-Path (Join-Path $target 'etc/gentoo-release') | Should -BeTrue
            Test-Path (Join-Path $target 'bin/busybox') | Should -BeTrue
        }
    }

    It 'two processes: the second is refused at once, naming the first one''s pid and cmdlet' {
        # Process A holds the root (a chroot script that sleeps); this process is B.
        $lockFile = [GentooImage.Engine.Platform.RootLock]::FileFor($Root)
        $cmd = "Import-Module '$ModuleManifest'; Invoke-GentooChroot -Path '$Root' -Script 'sleep 10' -AllowUnmounted | Out-Null; 'A done'"
        $a = Start-Process -FilePath dotnet -ArgumentList @('pwsh', '-NoProfile', '-NonInteractive', '-Command', $cmd) -PassThru -RedirectStandardOutput (Join-Path $Dir 'a.out')
        try {
            # 'dotnet pwsh' runs pwsh.dll as a child process: the holder's pid is that child's.
            $deadline = (Get-Date).AddSeconds(180)
            $holder = ''
            while ((Get-Date) -lt $deadline -and -not $a.HasExited) {
                if (Test-Path $lockFile) { $holder = [GentooImage.Engine.Platform.RootLock]::Holder($lockFile) }
                if ($holder -match '^pid (\d+) \(Invoke-GentooChroot') { break }
                Start-Sleep -Milliseconds 100
            }
            $holder | Should -Match '^pid (\d+) \(Invoke-GentooChroot'
            $holderPid = [int]$Matches[1]
            (Get-Content "/proc/$holderPid/cmdline" -Raw) | Should -Match 'Invoke-GentooChroot'
            $err = { Mount-BuildFilesystems -Path $Root -NoPortageTmpfs } | Should -Throw -ErrorId 'BuildRootLocked,GentooImage.Commands.MountBuildFilesystemsCommand' -PassThru
            $err.Exception.Message | Should -Match "in use by another GentooImage operation: pid $holderPid \(Invoke-GentooChroot, since .*command line: .*pwsh"
            (Get-MountsBelow $Root).Count | Should -Be 0
            $a.WaitForExit(120000) | Should -BeTrue
            Get-Content (Join-Path $Dir 'a.out') | Should -Be 'A done'
        }
        finally {
            if (-not $a.HasExited) { $a.Kill($true) }
        }
        # Released with its holder: B gets it now.
        Mount-BuildFilesystems -Path $Root -NoPortageTmpfs | Out-Null
        Dismount-BuildFilesystems -Path $Root | Out-Null
    }
}

Describe 'Different roots in parallel' {
    BeforeAll {
        $script:Dir = New-GiTestDirectory 'parallel'
        $src = [GentooImage.TestSupport.FixtureRoot]::Create((Join-Path $Dir 'src'), $false)
        $script:Tar = Join-Path $Dir 'stage3.tar'
        [GentooImage.TestSupport.FixtureMirror]::Pack($src, "$Tar.xz")
    }
    AfterAll {
        foreach ($n in 1..3) { Dismount-BuildFilesystems -Path (Join-Path $Dir "root$n") -Force -ErrorAction SilentlyContinue | Out-Null }
        Remove-GiTestDirectory $Dir
    }

    It 'three roots through the pipeline with ForEach-Object -Parallel do not interfere' {
        $manifest = $ModuleManifest
        $dir = $Dir
        $tar = "$Tar.xz"
        $results = 1..3 | ForEach-Object -ThrottleLimit 3 -Parallel {
            Import-Module $using:manifest
            $path = Join-Path $using:dir "root$_"
            New-Stage3Root -Path $path -Stage3 $using:tar -Verification None |
                Mount-BuildFilesystems -NoPortageTmpfs |
                Invoke-GentooChroot -Script "echo $_ > /root/which" |
                Dismount-BuildFilesystems
        }
        $results.Count | Should -Be 3
        foreach ($n in 1..3) {
            $root = Get-BuildRoot (Join-Path $Dir "root$n")
            (Get-Content (Join-Path $root.Path 'root/which')) | Should -Be "$n"
            @($root.History.Step) | Should -Be @('New-Stage3Root', 'Mount-BuildFilesystems', 'Invoke-GentooChroot', 'Dismount-BuildFilesystems')
            @($root.History | Where-Object Outcome -ne 'Succeeded').Count | Should -Be 0
            (Get-MountsBelow $root.Path).Count | Should -Be 0
        }
    }
}
