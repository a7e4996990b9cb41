#Requires -Version 7.4
# Builds the default test run's expensive fixtures side by side, in the background of the suite
# (-Task Test starts this before xunit): the test kernel (CPU-bound, about 16 minutes cold on 2
# cores), the systemd and OpenRC guest roots (mmdebstrap: mostly downloads and dpkg) and the Xen test
# host (mmdebstrap + the dom0 disk). Each build holds its cache entry's lock, so a test that needs
# one waits for it instead of building it a second time; on a warm machine every step is a cache hit
# and this ends within seconds. Run under a parent-death signal: it dies with the test run.
param([Parameter(Mandatory)] [string] $Repo, [Parameter(Mandatory)] [string] $LogPath)
$ErrorActionPreference = 'Stop'
# Every line (this script's and the builders' own) goes to the log, live.
$log = [IO.StreamWriter]::new($LogPath, $true)
$log.AutoFlush = $true
[Console]::SetOut($log)
Add-Type -Path (Join-Path $Repo 'out/TestSupport/GentooImage.TestSupport.dll')

function Write-Line([string] $Text) { [Console]::Out.WriteLine(('[{0:HH:mm:ss}] {1}' -f [DateTime]::Now, $Text)) }

$work = Join-Path ([IO.Path]::GetTempPath()) ('gi-cache-warm-' + [Guid]::NewGuid().ToString('N').Substring(0, 8))
New-Item -ItemType Directory $work | Out-Null
try {
    $steps = [ordered]@{
        'test kernel'        = { param($w) [GentooImage.TestSupport.FixtureKernel]::ForOpenStack((Join-Path $w 'kernel-config'), [Action[string]] { param($m) [Console]::Out.WriteLine("[kernel] $m") }).BzImage }
        'systemd guest root' = { param($w) [GentooImage.TestSupport.FixtureDebianGuest]::Tarball('systemd', [Action[string]] { param($m) [Console]::Out.WriteLine("[systemd] $m") }) }
        'OpenRC guest root'  = { param($w) [GentooImage.TestSupport.FixtureDebianGuest]::Tarball('openrc', [Action[string]] { param($m) [Console]::Out.WriteLine("[openrc] $m") }) }
        'Xen test host'      = { param($w) [GentooImage.Engine.Boot.XenHostBuilder]::new().EnsureAsync([GentooImage.Engine.Boot.XenHostBuilder]::DefaultCacheRoot, [GentooImage.Engine.Platform.OperationContext]::None).GetAwaiter().GetResult().Directory }
    }
    $jobs = foreach ($name in $steps.Keys) {
        Write-Line "start: $name"
        Start-ThreadJob -Name $name -ScriptBlock $steps[$name] -ArgumentList $work
    }
    $failed = 0
    foreach ($job in $jobs) {
        $null = Wait-Job $job
        try {
            $result = Receive-Job $job -ErrorAction Stop
            Write-Line "done: $($job.Name) ($([int]($job.PSEndTime - $job.PSBeginTime).TotalSeconds) s): $result"
        }
        catch {
            $failed++
            Write-Line "FAILED: $($job.Name): $_ (the tests that need it will try again and report it)"
        }
    }
    exit $failed
}
finally {
    & rm -rf --one-file-system $work
}
