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

    It 'Mount-BuildFilesystems: one mounts, the other is refused, never a double mount' {
        $single = $null
        foreach ($i in 1..$Rounds) {
            Invoke-Race { param($n, $r) Mount-BuildFilesystems -Path $r -NoPortageTmpfs } $Root | Should -Be $Expected
            $mounts = Get-MountsBelow $Root
            if ($null -eq $single) { $single = $mounts.Count }
            $mounts.Count | Should -Be $single
            @($mounts | Where-Object MountPoint -eq "$Root/proc").Count | Should -Be 1
            Dismount-BuildFilesystems -Path $Root | Out-Null
            (Get-MountsBelow $Root).Count | Should -Be 0
        }
    }

    It 'Dismount-BuildFilesystems: one unmounts, the other is refused' {
        foreach ($i in 1..$Rounds) {
            Mount-BuildFilesystems -Path $Root -NoPortageTmpfs | Out-Null
            Invoke-Race { param($n, $r) Dismount-BuildFilesystems -Path $r } $Root | Should -Be $Expected
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

    It 'Initialize-CloudGuest and Set-KernelConfig: one proceeds, the other is refused' {
        foreach ($i in 1..$Rounds) {
            Invoke-Race { param($n, $r) Initialize-CloudGuest -Path $r -Confirm:$false } $Root | Should -Be $Expected
            Invoke-Race { param($n, $r) Set-KernelConfig -Path $r -Preset Virtio -DistKernel -WarningAction SilentlyContinue } $Root | Should -Be $Expected
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

    It 'New-Stage3Root -Force: one replaces the root, the other is refused, and the root is whole' {
        $target = Join-Path $Dir 'fresh'
        foreach ($i in 1..$Rounds) {
            Invoke-Race { param($n, $t, $s) New-Stage3Root -Path $t -Stage3 $s -Verification None -Force } $target, "$Tar.xz" | Should -Be $Expected
            Test-Path (Join-Path $target 'etc/gentoo-release') | Should -BeTrue
            Test-Path (Join-Path $target 'bin/busybox') | Should -BeTrue
        }
    }

    It 'two processes: one mounts, the other names the holder' {
        $go = Join-Path $Dir 'go'
        $cmd = "Import-Module '$ModuleManifest'; while (-not (Test-Path '$go')) { Start-Sleep -Milliseconds 20 }; " +
            "try { Mount-BuildFilesystems -Path '$Root' -NoPortageTmpfs | Out-Null; 'ok' } catch { `$_.FullyQualifiedErrorId + ' ' + `$_.Exception.Message }"
        $jobs = 1..2 | ForEach-Object { Start-ThreadJob { param($c) & dotnet pwsh -NoProfile -NonInteractive -Command $c 2>&1 } -ArgumentList $cmd }
        Start-Sleep -Seconds 1
        # Both processes must be waiting (module imported) before they are released.
        $deadline = (Get-Date).AddSeconds(90)
        while ((Get-Date) -lt $deadline -and @(Get-Process -Name dotnet -ErrorAction SilentlyContinue | Where-Object { $_.CommandLine -like "*$go*" }).Count -lt 2) { Start-Sleep -Milliseconds 200 }
        Start-Sleep -Seconds 8
        New-Item -ItemType File $go | Out-Null
        $answers = @($jobs | Receive-Job -Wait -AutoRemoveJob | ForEach-Object { "$_" }) | Sort-Object
        try {
            $answers[0] | Should -Match '^BuildRootLocked,.*in use by another GentooImage operation: pid \d+ \(Mount-BuildFilesystems'
            $answers[1] | Should -Be 'ok'
            @(Get-MountsBelow $Root | Where-Object MountPoint -eq "$Root/proc").Count | Should -Be 1
        }
        finally {
            Dismount-BuildFilesystems -Path $Root | Out-Null
        }
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
