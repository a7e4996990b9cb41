# Signals and killed runs, with real processes: a child `pwsh -NoProfile -File` (no terminal) runs a
# cmdlet and gets SIGINT, SIGTERM or SIGKILL while the cmdlet's tools run. Afterwards nothing of it
# may run on (no process with the root or image in its command line, cwd or root), nothing may stay
# mounted after Dismount, and the next run of the same cmdlet removes what a killed run left.
BeforeAll {
    . "$PSScriptRoot/Common.ps1"

    # pwsh itself: `dotnet pwsh.dll` for the dotnet tool, or an apphost.
    $script:PwshExe = [Environment]::ProcessPath
    $script:PwshPrefix = @(if ((Split-Path $PwshExe -Leaf) -eq 'dotnet') { [Environment]::GetCommandLineArgs()[0] })
    $script:Children = [Collections.Generic.List[Diagnostics.Process]]::new()

    function Get-MountsBelow([string] $Dir) {
        Get-Content /proc/self/mountinfo | ForEach-Object { ($_ -split ' ')[4] } | Where-Object { $_ -eq $Dir -or $_.StartsWith("$Dir/") }
    }

    function Get-ProcessUsing([string[]] $Paths) {
        # Every process whose command line names one of the paths, or whose cwd or root is below one.
        foreach ($p in Get-ChildItem /proc -Directory | Where-Object Name -match '^\d+$') {
            if ([int]$p.Name -eq $PID) { continue }
            try { $cmd = [IO.File]::ReadAllText("$($p.FullName)/cmdline") -replace "`0", ' ' } catch { continue }   # gone
            $cwd = try { [IO.Directory]::ResolveLinkTarget("$($p.FullName)/cwd", $false).FullName } catch { '' }
            $rootLink = try { [IO.Directory]::ResolveLinkTarget("$($p.FullName)/root", $false).FullName } catch { '' }
            foreach ($path in $Paths) {
                if ($cmd.Contains($path) -or "$cwd/".StartsWith("$path/") -or "$rootLink/".StartsWith("$path/")) {
                    "$($p.Name): $cmd"
                    break
                }
            }
        }
    }

    function Start-ChildPwsh([string] $Dir, [string] $Script, [switch] $IgnoreSigint) {
        # A child pwsh with no terminal: stdin from /dev/null, output to files. -IgnoreSigint starts it
        # the way a non-interactive shell starts a background job (SIGINT ignored), which pwsh
        # alone would never notice.
        $file = Join-Path $Dir ("child-" + [guid]::NewGuid().ToString('N').Substring(0, 6) + '.ps1')
        Set-Content $file ("Import-Module '$ModuleManifest'`n" + $Script)
        $exe = $PwshExe
        $argv = @($PwshPrefix) + @('-NoProfile', '-NonInteractive', '-File', $file)
        # SIGHUP at its default whatever this run inherited (a suite started under nohup ignores it,
        # and an ignored signal stays ignored across exec: the HUP case would test nohup instead).
        $argv = @('--default-signal=HUP') + @(if ($IgnoreSigint) { '--ignore-signal=INT' }) + @($exe) + $argv
        $exe = '/usr/bin/env'
        $p = Start-Process -FilePath $exe -ArgumentList $argv -RedirectStandardInput /dev/null `
            -RedirectStandardOutput "$file.out" -RedirectStandardError "$file.err" -PassThru
        $Children.Add($p)
        [pscustomobject]@{ Process = $p; Out = "$file.out"; Err = "$file.err" }
    }

    function Wait-Until([scriptblock] $Condition, [int] $Seconds = 120, [string] $What) {
        $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
        while (-not (& $Condition)) {
            if ([DateTime]::UtcNow -gt $deadline) { throw "Timed out after $Seconds s waiting for: $What" }
            Start-Sleep -Milliseconds 50
        }
    }

    function Test-Running([string] $Pattern) {
        [bool](Get-ChildItem /proc -Directory | Where-Object Name -match '^\d+$' | Where-Object {
                try { ([IO.File]::ReadAllText("$($_.FullName)/cmdline") -replace "`0", ' ') -match $Pattern } catch { $false }
            } | Select-Object -First 1)
    }

    function Stop-Child($Child, [string] $Signal) {
        & /bin/kill -s $Signal $Child.Process.Id
        if (-not $Child.Process.WaitForExit(90000)) { throw "The child pwsh did not end within 90 s after $Signal." }
        $Child.Process.WaitForExit()
        [pscustomobject]@{
            ExitCode = $Child.Process.ExitCode
            Out      = (Get-Content $Child.Out -Raw) + ''
            Err      = (Get-Content $Child.Err -Raw) + ''
        }
    }

    function Assert-NothingRuns([string[]] $Paths) {
        # Give the kernel a moment to deliver the parent-death signals.
        $deadline = [DateTime]::UtcNow.AddSeconds(10)
        do {
            $left = @(Get-ProcessUsing $Paths)
            if (-not $left) { break }
            Start-Sleep -Milliseconds 100
        } while ([DateTime]::UtcNow -lt $deadline)
        $left | Should -BeNullOrEmpty -Because 'no process of a signalled run may outlive it'
    }

    $script:Dir = New-GiTestDirectory 'crash'

    # A stage3-like tarball big enough that extraction runs for several seconds: 1 GiB of zeros
    # (tiny as xz) beside a real fixture root.
    $src = Join-Path $Dir 'src'
    [GentooImage.TestSupport.FixtureRoot]::Create($src) | Out-Null
    & truncate -s 1G (Join-Path $src 'var/big.bin')
    $script:Tarball = Join-Path $Dir 'stage3-amd64-openrc-20260811T083102Z.tar'
    & tar --create --file $Tarball --xattrs --numeric-owner --directory $src .
    & xz -T2 -0 --block-size=16MiB $Tarball
    $script:Tarball = "$Tarball.xz"
    Remove-Item $src -Recurse -Force
}

AfterAll {
    foreach ($p in $Children) { if (-not $p.HasExited) { $p.Kill($true); $p.WaitForExit() } }
    foreach ($r in Get-ChildItem $Dir -Directory -ErrorAction SilentlyContinue) {
        if (Get-MountsBelow $r.FullName) { Dismount-BuildFilesystems -Path $r.FullName -Force | Out-Null }
    }
    Remove-GiTestDirectory $Dir
}

Describe 'Signals during New-Stage3Root extraction' {
    It '<Signal> cancels the extraction like Ctrl+C, removes the half root and ends pwsh with <Code>' -ForEach @(
        @{ Signal = 'TERM'; Code = 143; IgnoreSigint = $false }
        @{ Signal = 'INT'; Code = 130; IgnoreSigint = $true }
        @{ Signal = 'INT'; Code = 130; IgnoreSigint = $false }
        @{ Signal = 'HUP'; Code = 129; IgnoreSigint = $false }
    ) {
        $root = Join-Path $Dir "x-$Signal-$IgnoreSigint"
        $child = Start-ChildPwsh $Dir "New-Stage3Root -Path '$root' -Stage3 '$Tarball' -Verification None`nStart-Sleep 10`n'SCRIPT-CONTINUED'" -IgnoreSigint:$IgnoreSigint
        Wait-Until { Test-Running "^\S*tar .*--directory $([regex]::Escape($root))" } -What 'tar extracting'
        Start-Sleep -Milliseconds 1500   # well into the 1 GiB file
        $r = Stop-Child $child $Signal
        $r.ExitCode | Should -Be $Code
        $r.Err | Should -Match 'OperationCancelled'
        $r.Err | Should -Match "SIG$Signal"
        $r.Out | Should -Not -Match 'SCRIPT-CONTINUED'
        Assert-NothingRuns @($root, $Tarball)
        Test-Path $root | Should -BeFalse -Because 'a cancelled run leaves no half root'
    }

    It 'SIGKILL leaves no tar or xz running and a root marked Incomplete, which -Force replaces' {
        $root = Join-Path $Dir 'x-KILL'
        $child = Start-ChildPwsh $Dir "New-Stage3Root -Path '$root' -Stage3 '$Tarball' -Verification None"
        Wait-Until { Test-Running "^\S*tar .*--directory $([regex]::Escape($root))" } -What 'tar extracting'
        Start-Sleep -Milliseconds 1500   # well into the 1 GiB file
        $r = Stop-Child $child 'KILL'
        $r.ExitCode | Should -Be 137
        Assert-NothingRuns @($root, $Tarball)

        $half = Get-BuildRoot $root
        $half.State | Should -Be 'Incomplete'
        ($half | Out-String -Width 200) | Should -Match 'Incomplete'
        { New-Stage3Root -Path $root -Stage3 $Tarball -Verification None -WarningAction SilentlyContinue } |
            Should -Throw -ErrorId 'RootNotEmpty,GentooImage.Commands.NewStage3RootCommand' -ExpectedMessage '*incomplete*-Force*'

        $whole = New-Stage3Root -Path $root -Stage3 $Tarball -Verification None -Force -WarningAction SilentlyContinue
        $whole.State | Should -Be 'Ready'
        (Get-BuildRoot $root).State | Should -Be 'Ready'
        Remove-Item $root -Recurse -Force
    }

    It 'SIGKILL during -Force leaves the old root Ready as it was; the next run removes the hidden staging directory' {
        # -Force extracts into a hidden staging directory and touches the old root only once the
        # new stage3 is extracted (and verified): a kill before that leaves the old root usable.
        $root = Join-Path $Dir 'x-KILL-force'
        New-Stage3Root -Path $root -Stage3 $Tarball -Verification None -WarningAction SilentlyContinue | Out-Null
        Set-Content (Join-Path $root 'old-content') 'x'
        $child = Start-ChildPwsh $Dir "New-Stage3Root -Path '$root' -Stage3 '$Tarball' -Verification None -Force"
        Wait-Until { Test-Running "^\S*tar .*--directory $([regex]::Escape($root))" } -What 'tar extracting'
        Start-Sleep -Milliseconds 1500   # well into the 1 GiB file
        $r = Stop-Child $child 'KILL'
        $r.ExitCode | Should -Be 137
        Assert-NothingRuns @($root, $Tarball)

        (Get-BuildRoot $root).State | Should -Be 'Ready'
        Test-Path (Join-Path $root 'old-content') | Should -BeTrue
        $staging = @(Get-ChildItem -Force $root | Where-Object Name -like '.gentooimage-stage-*')
        $staging.Count | Should -Be 1
        ([int][IO.File]::GetUnixFileMode($staging[0].FullName) -band 0x3F) | Should -Be 0 -Because 'nobody else may reach the unverified tree'

        $verbose = New-Stage3Root -Path $root -Stage3 $Tarball -Verification None -Force -Verbose -WarningAction SilentlyContinue 4>&1 |
            Where-Object { $_ -is [Management.Automation.VerboseRecord] } | ForEach-Object Message
        $verbose | Should -Contain "Removed '$($staging[0].FullName)', left by process $($child.Process.Id) which no longer runs (a killed or crashed earlier run)."
        @(Get-ChildItem -Force $root | Where-Object Name -like '.gentooimage-stage-*').Count | Should -Be 0
        Test-Path (Join-Path $root 'old-content') | Should -BeFalse
        (Get-BuildRoot $root).State | Should -Be 'Ready'
        Remove-Item $root -Recurse -Force
    }

    It 'the next run removes temporary directories a killed run left in /tmp, and only those' {
        # What a killed run leaves: gi-gpg-/gi-ptr- directories owned by a process that is gone.
        $dead = Start-Process sleep 30 -PassThru
        $start = [GentooImage.Engine.Platform.OwnerTag]::StartTimeOf($dead.Id)
        $dead.Kill(); $dead.WaitForExit()
        $tag = [GentooImage.Engine.Platform.OwnerTag]::Format($dead.Id, $start)
        $tmp = [IO.Path]::GetTempPath()
        $left = @("${tmp}gi-gpg-$tag-0badc0de", "${tmp}gi-ptr-$tag-0badc0de")
        $mine = Join-Path $tmp ([GentooImage.Engine.Platform.OwnerTag]::UniqueName('gi-ptr-'))
        try {
            $left + $mine | ForEach-Object { New-Item -ItemType Directory $_ | Out-Null; Set-Content "$_/f" x }
            $root = Join-Path $Dir 'x-next'
            $verbose = New-Stage3Root -Path $root -Stage3 $Tarball -Verification None -Verbose -WarningAction SilentlyContinue 4>&1 |
                Where-Object { $_ -is [Management.Automation.VerboseRecord] } | ForEach-Object Message
            foreach ($l in $left) {
                Test-Path $l | Should -BeFalse
                $verbose | Should -Contain "Removed '$l', left by process $($dead.Id) which no longer runs (a killed or crashed earlier run)."
            }
            Test-Path $mine | Should -BeTrue -Because 'its owner (this process) still runs'
        }
        finally {
            $left + $mine | Where-Object { Test-Path $_ } | ForEach-Object { Remove-Item $_ -Recurse -Force }
            if (Test-Path "$Dir/x-next") { Remove-Item "$Dir/x-next" -Recurse -Force }
        }
    }
}

Describe 'Signals while no operation runs' {
    It 'SIGTERM keeps its default effect after a GentooImage cmdlet has run (pwsh ends at once with 143)' {
        $root = Join-Path $Dir 'idle'
        $child = Start-ChildPwsh $Dir "New-Stage3Root -Path '$root' -Stage3 '$Tarball' -Verification None -WhatIf`n'IDLE'`nStart-Sleep 60`n'SCRIPT-CONTINUED'"
        Wait-Until { (Get-Content $child.Out -Raw) -match 'IDLE' } -What 'the cmdlet to have run'
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $r = Stop-Child $child 'TERM'
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 10
        $r.ExitCode | Should -Be 143
        $r.Err | Should -Not -Match 'OperationCancelled'
        $r.Out | Should -Not -Match 'SCRIPT-CONTINUED'
    }
}

Describe 'Signals during Invoke-GentooChroot' {
    BeforeAll {
        $script:ChrootRoot = [GentooImage.TestSupport.FixtureRoot]::Create((Join-Path $Dir 'chroot'))
        # A background job and a daemon in a session of its own, then a long foreground command;
        # numbers of their own, so that no other process on the machine is taken for them.
        $script:Mark = Get-Random -Minimum 100000 -Maximum 999999
        $script:ChrootScript = "sleep ${Mark}1 & setsid sleep ${Mark}2 & sleep ${Mark}3"
    }
    AfterEach {
        if (Get-MountsBelow $ChrootRoot) { Dismount-BuildFilesystems -Path $ChrootRoot -Force | Out-Null }
    }

    It '<Signal> stops the script and everything it started; Dismount then removes every mount' -ForEach @(
        @{ Signal = 'TERM'; Code = 143 }
        @{ Signal = 'INT'; Code = 130 }
        @{ Signal = 'KILL'; Code = 137 }
    ) {
        $child = Start-ChildPwsh $Dir "Mount-BuildFilesystems -Path '$ChrootRoot' -NoPortageTmpfs | Invoke-GentooChroot -Script '$ChrootScript'`n'SCRIPT-CONTINUED'" -IgnoreSigint
        Wait-Until { (Test-Running "^sleep ${Mark}3") -and (Test-Running "^sleep ${Mark}2") -and (Test-Running "^sleep ${Mark}1") } -What 'the script and its background processes'
        $r = Stop-Child $child $Signal
        $r.ExitCode | Should -Be $Code
        if ($Signal -ne 'KILL') {
            $r.Err | Should -Match 'OperationCancelled'
            $r.Out | Should -Not -Match 'SCRIPT-CONTINUED'
        }

        Assert-NothingRuns @($ChrootRoot)
        Test-Running "^sleep ${Mark}[123]" | Should -BeFalse
        Get-MountsBelow $ChrootRoot | Should -Not -BeNullOrEmpty -Because 'the mounts are the user''s to remove'
        Dismount-BuildFilesystems -Path $ChrootRoot -Verbose 4>&1 | Out-Null   # no BuildRootBusy: nothing uses the root
        Get-MountsBelow $ChrootRoot | Should -BeNullOrEmpty
        @(Get-ChildItem "$ChrootRoot/var/tmp" -Filter 'gentooimage-*.sh') | Should -BeNullOrEmpty -Because 'Dismount removes the script a killed run left'
    }
}

Describe 'Signals during New-RawDiskImage' {
    BeforeAll {
        $script:ImageRoot = [GentooImage.TestSupport.FixtureRoot]::Create((Join-Path $Dir 'imgroot'))
        [IO.File]::WriteAllBytes((Join-Path $ImageRoot 'boot/vmlinuz-6.1.0-fixture'), [byte[]]::new(4096))
        # Incompressible data so that mkfs.ext4 -d runs for a while, and more than 64 MiB in an
        # excluded directory so that the image goes through a staging tree beside the root.
        & dd if=/dev/urandom "of=$ImageRoot/var/data.bin" bs=1M count=400 status=none
        New-Item -ItemType Directory (Join-Path $ImageRoot 'var/tmp/portage') -Force | Out-Null
        & dd if=/dev/zero "of=$ImageRoot/var/tmp/portage/junk" bs=1M count=80 status=none   # allocated, not sparse
        $script:ImageOut = Join-Path $Dir 'images'
        New-Item -ItemType Directory $ImageOut | Out-Null
    }

    It '<Signal> during mkfs.ext4 leaves no process and nothing behind' -ForEach @(
        @{ Signal = 'TERM'; Code = 143 }
        @{ Signal = 'INT'; Code = 130 }
    ) {
        $image = Join-Path $ImageOut "sig-$Signal.img"
        $child = Start-ChildPwsh $Dir "New-RawDiskImage -RootPath '$ImageRoot' -Path '$image'`n'SCRIPT-CONTINUED'" -IgnoreSigint
        Wait-Until { Test-Running "^\S*mkfs\.ext4 .*$([regex]::Escape($ImageOut))" } -What 'mkfs.ext4 writing the image'
        $r = Stop-Child $child $Signal
        $r.ExitCode | Should -Be $Code
        $r.Err | Should -Match 'OperationCancelled'
        $r.Out | Should -Not -Match 'SCRIPT-CONTINUED'
        Assert-NothingRuns @($ImageOut, $ImageRoot)
        @(Get-ChildItem $ImageOut -Force) | Should -BeNullOrEmpty
        @(Get-ChildItem $Dir -Force -Filter '.gentooimage-stage-*') | Should -BeNullOrEmpty
        @(Get-ChildItem ([IO.Path]::GetTempPath()) -Filter "gi-image-o$($child.Process.Id)_*") | Should -BeNullOrEmpty
    }

    It 'SIGKILL during mkfs.ext4: nothing runs on, and the next run removes the temporary image, work directory and staging tree' {
        $image = Join-Path $ImageOut 'kill.img'
        $child = Start-ChildPwsh $Dir "New-RawDiskImage -RootPath '$ImageRoot' -Path '$image'"
        Wait-Until { Test-Running "^\S*mkfs\.ext4 .*$([regex]::Escape($ImageOut))" } -What 'mkfs.ext4 writing the image'
        $r = Stop-Child $child 'KILL'
        $r.ExitCode | Should -Be 137
        Assert-NothingRuns @($ImageOut, $ImageRoot)

        $owner = "o$($child.Process.Id)_"
        $left = @(Get-ChildItem $ImageOut -Force | Where-Object Name -like ".kill.img.$owner*.tmp") +
            @(Get-ChildItem ([IO.Path]::GetTempPath()) -Filter "gi-image-$owner*") +
            @(Get-ChildItem $Dir -Force -Filter ".gentooimage-stage-$owner*")
        $left.Count | Should -Be 3 -Because 'SIGKILL leaves the temporary image, the work directory and the staging tree'

        $verbose = New-RawDiskImage -RootPath $ImageRoot -Path (Join-Path $ImageOut 'next.img') -Verbose 4>&1 |
            Where-Object { $_ -is [Management.Automation.VerboseRecord] } | ForEach-Object Message
        foreach ($l in $left) {
            Test-Path $l.FullName | Should -BeFalse
            $verbose | Should -Contain "Removed '$($l.FullName)', left by process $($child.Process.Id) which no longer runs (a killed or crashed earlier run)."
        }
        (Get-ChildItem $ImageOut -Force).Name | Sort-Object | Should -Be @('next.img', 'next.img.glance.json', 'next.img.sha256')
    }

    It 'Test-RawDiskImage removes the OVMF variables and KVM probe images a killed run left in /tmp' {
        $dead = Start-Process sleep 30 -PassThru
        $start = [GentooImage.Engine.Platform.OwnerTag]::StartTimeOf($dead.Id)
        $dead.Kill(); $dead.WaitForExit()
        $tag = [GentooImage.Engine.Platform.OwnerTag]::Format($dead.Id, $start)
        $tmp = [IO.Path]::GetTempPath()
        $left = @("${tmp}gi-ovmf-vars-$tag-0badc0de.fd", "${tmp}gi-kvm-probe-$tag-0badc0de.img")
        $mine = Join-Path $tmp ([GentooImage.Engine.Platform.OwnerTag]::UniqueName('gi-ovmf-vars-', '.fd'))
        try {
            $left + $mine | ForEach-Object { Set-Content $_ x }
            $verbose = Test-RawDiskImage -Path (Join-Path $ImageOut 'next.img') -Verbose 4>&1 |
                Where-Object { $_ -is [Management.Automation.VerboseRecord] } | ForEach-Object Message
            foreach ($l in $left) {
                Test-Path $l | Should -BeFalse
                $verbose | Should -Contain "Removed '$l', left by process $($dead.Id) which no longer runs (a killed or crashed earlier run)."
            }
            Test-Path $mine | Should -BeTrue
        }
        finally {
            $left + $mine | Where-Object { Test-Path $_ } | Remove-Item -Force
        }
    }
}

Describe 'The handbook layout: a root that is a file system of its own' {
    It 'New-Stage3Root extracts into an empty loop-mounted ext4 (lost+found only) and Dismount leaves that mount alone' {
        $fs = Join-Path $Dir 'part.ext4'
        $mnt = Join-Path $Dir 'mnt/gentoo'
        New-Item -ItemType Directory $mnt -Force | Out-Null
        & truncate -s 2G $fs
        & mkfs.ext4 -q -F $fs
        $loop = (& losetup --find --show $fs).Trim()
        try {
            & mount -t ext4 $loop $mnt
            $LASTEXITCODE | Should -Be 0
            (Get-ChildItem $mnt -Force).Name | Should -Be @('lost+found')

            $root = New-Stage3Root -Path $mnt -Stage3 $Tarball -Verification None -WarningAction SilentlyContinue
            $root.State | Should -Be 'Ready'
            Test-Path "$mnt/etc/gentoo-release" | Should -BeTrue
            Test-Path "$mnt/lost+found" | Should -BeTrue

            # -Force keeps lost+found too.
            New-Stage3Root -Path $mnt -Stage3 $Tarball -Verification None -Force -WarningAction SilentlyContinue | Out-Null
            Test-Path "$mnt/lost+found" | Should -BeTrue

            Mount-BuildFilesystems -Path $mnt -NoPortageTmpfs | Out-Null
            Dismount-BuildFilesystems -Path $mnt | Out-Null
            Get-MountsBelow $mnt | Should -Be @($mnt) -Because 'the root''s own mount is the user''s'
        }
        finally {
            if (Get-MountsBelow $mnt | Where-Object { $_ -ne $mnt }) { Dismount-BuildFilesystems -Path $mnt -Force | Out-Null }
            if (Get-MountsBelow $mnt) { & umount $mnt }
            & losetup -d $loop
            Remove-Item $fs -Force
        }
    }
}
