# -Task Test: Bootstrap + Build, the xunit projects, Pester in a child pwsh (so the fresh DLL is
# loaded; in a whole run the real-guest and end-to-end files in a second one, started before xunit,
# beside everything else), and a suite check that the host mount table and loop devices are as before the run.
# Prints one last line 'N passed, N failed' and exits 1 on any failure.

function Get-MountSnapshot {
    # The host mount table without kernel ids (propagation flags included), and the loop devices.
    $mounts = Get-Content /proc/self/mountinfo | ForEach-Object {
        $l, $r = $_ -split ' - ', 2
        $f = $l -split ' '
        '{0} {1} {2} {3} {4}' -f $f[4], $f[3], $f[5], (($f | Select-Object -Skip 6) -join ' '), $r
    }
    $loops = @(& losetup -n -O NAME, BACK-FILE 2>$null)
    [pscustomobject]@{ Mounts = @($mounts); Loops = $loops }
}

function Read-TrxCounts([string] $Path) {
    if (-not (Test-Path $Path)) { return $null }
    [xml] $trx = Get-Content -Raw $Path
    $c = $trx.TestRun.ResultSummary.Counters
    [pscustomobject]@{ Passed = [int] $c.passed; Failed = [int] $c.failed + [int] $c.error + [int] $c.timeout + [int] $c.aborted }
}

# In a whole run: the Pester files that run, in this order, in a second child pwsh beside the
# others (see Invoke-Test): the two that boot TCG guests for minutes.
$PesterAlongside = @('RealGuest.Tests.ps1', 'EndToEnd.Tests.ps1')

function New-GuardedPwshStartInfo {
    # A child pwsh that never outlives this run: pwsh.dll itself under dotnet behind setpriv
    # --pdeathsig KILL (the tool's launcher would fork it, and the parent-death signal is not inherited).
    param([Parameter(Mandatory)] [string] $File, [string[]] $Arguments = @())
    $psi = [System.Diagnostics.ProcessStartInfo]::new('setpriv')
    $psi.WorkingDirectory = $Repo
    $psi.UseShellExecute = $false
    foreach ($a in @('--pdeathsig', 'KILL', '--', 'dotnet', (Join-Path $PSHOME 'pwsh.dll'), '-NoProfile', '-NonInteractive', '-File', $File) + $Arguments) {
        $psi.ArgumentList.Add($a)
    }
    $psi
}

function Start-PesterAlongside {
    # Invoke-PesterSuite for -Files in a second, guarded child pwsh, results as pester-alongside.*.
    # Its output goes to out/TestResults/pester-alongside.log (and .err.log) as it comes, and is
    # shown when it ends. It has a TMPDIR of its own, so the cmdlets it runs never sweep up the
    # leftovers other tests plant in /tmp on purpose (the crash-safety tests).
    param([Parameter(Mandatory)] [string[]] $Files)
    $tmp = Join-Path ([IO.Path]::GetTempPath()) "gi-alongside-$PID"
    New-Item -ItemType Directory -Force $tmp | Out-Null
    $psi = New-GuardedPwshStartInfo (Join-Path $Repo 'tests/Invoke-PesterSuite.ps1') @('-PesterManifest', $PesterManifest,
        '-ResultDirectory', $TestResults, '-Path', ($Files -join ','), '-ResultName', 'pester-alongside')
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.Environment['TMPDIR'] = $tmp
    $out = [IO.File]::Create((Join-Path $TestResults 'pester-alongside.log'))
    $err = [IO.File]::Create((Join-Path $TestResults 'pester-alongside.err.log'))
    $p = [System.Diagnostics.Process]::Start($psi)
    [pscustomobject]@{
        Process = $p; TempDir = $tmp; Files = @($out, $err)
        Copies = @($p.StandardOutput.BaseStream.CopyToAsync($out), $p.StandardError.BaseStream.CopyToAsync($err))
    }
}

function Stop-PesterAlongside {
    # Waits for the second Pester process (at most -WaitSec, then SIGTERM so its AfterAll blocks
    # clean up, then SIGKILL), closes its logs and removes its TMPDIR unless something is still
    # mounted below it. Returns its exit code.
    param([Parameter(Mandatory)] $Alongside, [int] $WaitSec = -1)
    $p = $Alongside.Process
    if (-not $p.WaitForExit($(if ($WaitSec -lt 0) { -1 } else { $WaitSec * 1000 }))) {
        & kill -TERM $p.Id 2>$null
        if (-not $p.WaitForExit(30000)) { $p.Kill($true); $p.WaitForExit() }
    }
    # Its output pipes end with it, unless a leaked grandchild holds them: then 30 s at most.
    $null = [Threading.Tasks.Task]::WaitAll([Threading.Tasks.Task[]] $Alongside.Copies, 30000)
    foreach ($f in $Alongside.Files) { $f.Dispose() }
    $tmp = $Alongside.TempDir
    if (Get-Content /proc/self/mountinfo | Where-Object { ($_ -split ' ')[4].StartsWith("$tmp/") }) {
        Write-Warning "Something is still mounted below ${tmp}: left in place."
    }
    else {
        & rm -rf --one-file-system -- $tmp
    }
    $p.ExitCode
}

function Invoke-Test {
    param([Parameter(Mandatory)] [string] $Configuration, [string[]] $PesterPath, [string] $XunitFilter)
    Invoke-Bootstrap
    Invoke-Build -Configuration $Configuration
    if (Test-Path $TestResults) { Remove-Item -Recurse -Force $TestResults }
    New-Item -ItemType Directory -Force $TestResults | Out-Null
    $env:GENTOOIMAGE_MODULE = Join-Path $ModuleOut 'GentooImage.psd1'
    $before = Get-MountSnapshot
    $passed = 0
    $failed = 0
    $runXunit = -not $PesterPath
    $runPester = -not ($XunitFilter -and -not $PesterPath)

    # A whole run on a new machine: build the expensive fixtures side by side in the background
    # (the kernel compiles while xunit runs and the guest roots and the Xen host download); the tests
    # that need one wait on its cache lock. A warm machine finds every cache entry at once.
    $warm = $null
    $alongside = $null
    if (-not $PesterPath -and -not $XunitFilter) {
        Write-Step 'Fixture caches: building what is missing, in the background (log: out/TestResults/fixture-caches.log)'
        $psi = New-GuardedPwshStartInfo (Join-Path $Repo 'tools/Build-TestCaches.ps1') @('-Repo', $Repo, '-LogPath', (Join-Path $TestResults 'fixture-caches.log'))
        $warm = [System.Diagnostics.Process]::Start($psi)
    }

    try {
        if ($runPester -and -not $PesterPath) {
            # A whole run: the real-guest and end-to-end files (TCG guests, Xen, minutes each, mostly
            # waited on) run one after the other in a second child pwsh, started now, beside xunit
            # and the other Pester files, which mostly use one core (measured: a core sat idle for
            # minutes while they ran alone). Their output is shown when they end.
            $files = @(Get-ChildItem (Join-Path $Repo 'tests') -Filter '*.Tests.ps1' | Sort-Object Name)
            $main = @($files | Where-Object Name -notin $PesterAlongside)
            $aside = @(foreach ($name in $PesterAlongside) { $files | Where-Object Name -eq $name })
            if ($aside) {
                Write-Step "Pester $PesterVersion, alongside (child pwsh, output when it ends): $($aside.Name -join ', ')"
                $alongside = Start-PesterAlongside -Files $aside.FullName
            }
        }

        if ($runXunit) {
            foreach ($project in 'GentooImage.Engine.Tests', 'GentooImage.Host.Tests') {
                Write-Step "xunit: $project"
                $trx = "$project.trx"
                $testArgs = @('test', (Join-Path $Repo "tests/$project"), '-c', $Configuration, '--no-build', '-nologo',
                    '--logger', "trx;LogFileName=$trx", '--logger', 'console;verbosity=normal', '--results-directory', $TestResults)
                if ($XunitFilter) { $testArgs += @('--filter', $XunitFilter) }
                Invoke-Native dotnet $testArgs -AllowFailure
                $counts = Read-TrxCounts (Join-Path $TestResults $trx)
                if ($null -eq $counts) {
                    Write-Warning "$project produced no results: counted as one failure."
                    $failed++
                }
                else {
                    $passed += $counts.Passed
                    $failed += $counts.Failed
                }
            }
        }

        if ($runPester) {
            $pesterArgs = @('-File', (Join-Path $Repo 'tests/Invoke-PesterSuite.ps1'), '-PesterManifest', $PesterManifest,
                '-ResultDirectory', $TestResults)
            if ($PesterPath) {
                $pesterArgs += @('-Path', ($PesterPath -join ','))
            }
            else {
                $pesterArgs += @('-Path', ($main.FullName -join ','))
            }
            Write-Step "Pester $PesterVersion (child pwsh)"
            $null = Invoke-ChildPwsh $pesterArgs
            $lanes = @('pester')
            $alongsideExit = 0
            if ($alongside) {
                if (-not $alongside.Process.HasExited) { Write-Step "Pester alongside: waiting for $($aside.Name -join ', ')" }
                $alongsideExit = Stop-PesterAlongside $alongside
                $alongside = $null
                Write-Step "Pester alongside: $($aside.Name -join ', ') (exit $alongsideExit; log out/TestResults/pester-alongside.log)"
                Get-Content (Join-Path $TestResults 'pester-alongside.log') | Write-Host
                Get-Content (Join-Path $TestResults 'pester-alongside.err.log') | Write-Host
                $lanes += 'pester-alongside'
            }
            foreach ($lane in $lanes) {
                $summary = Join-Path $TestResults "$lane-summary.json"
                if (Test-Path $summary) {
                    $s = Get-Content -Raw $summary | ConvertFrom-Json
                    $passed += $s.Passed
                    $failed += $s.Failed
                    if ($lane -eq 'pester-alongside' -and $alongsideExit -and -not $s.Failed) {
                        Write-Warning "Pester alongside ended with exit code $alongsideExit but reported no failure: counted as one."
                        $failed++
                    }
                }
                else {
                    Write-Warning "Pester ($lane) produced no summary: counted as one failure."
                    $failed++
                }
            }
        }
    }
    finally {
        # An interrupted or failed run: the alongside Pester gets 60 s (it has the terminal's SIGINT
        # too), then SIGTERM, like the cache builder below; its log stays in out/TestResults/.
        if ($alongside) { $null = Stop-PesterAlongside $alongside -WaitSec 60 }
        # Every build it started is needed by a test that waited for it, so normally it has ended.
        # If not (a test skipped, or this run interrupted): SIGTERM, so its builds clean up, then SIGKILL.
        if ($warm) {
            if (-not $warm.HasExited -and -not $warm.WaitForExit(60000)) {
                & kill -TERM $warm.Id 2>$null
                if (-not $warm.WaitForExit(30000)) { $warm.Kill($true); $warm.WaitForExit() }
            }
            if ($warm.ExitCode) { Write-Warning "Building a fixture cache failed or was stopped (exit $($warm.ExitCode)): see out/TestResults/fixture-caches.log." }
            $warm.Dispose()
        }
    }

    # Suite-level guarantee: the host mount table (and loop devices) after the run equal the ones before.
    Write-Step 'Suite: host mount table unchanged'
    $after = Get-MountSnapshot
    $diff = @(Compare-Object $before.Mounts $after.Mounts) + @(Compare-Object $before.Loops $after.Loops)
    if ($diff.Count) {
        $failed++
        Write-Host '[-] Host mount table or loop devices changed during the test run:' -ForegroundColor Red
        $diff | ForEach-Object { Write-Host ("    {0} {1}" -f $_.SideIndicator, $_.InputObject) }
    }
    else {
        $passed++
        Write-Host '[+] Host mount table and loop devices unchanged.' -ForegroundColor Green
    }

    "$passed passed, $failed failed"
    if ($failed) { exit 1 }
}
