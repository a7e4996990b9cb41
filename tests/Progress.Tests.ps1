# Progress where nobody watches a console: pwsh draws no Write-Progress when its output is
# redirected (CI, a log file), so the cmdlets write a line every 30 s there instead
# (GENTOOIMAGE_PROGRESS_INTERVAL shortens it here). The boot of Test-RawDiskImage reports the stage
# it reached; an image without boot code stays in the firmware stage until the timeout.
BeforeAll {
    . "$PSScriptRoot/Common.ps1"
    $script:Dir = New-GiTestDirectory 'progress'
    $script:Image = Join-Path $Dir 'blank.img'
    & truncate -s 4M $Image
    $script:SerialLog = Join-Path $Dir 'serial.log'

    function Invoke-Redirected([string] $Interval) {
        # A new pwsh whose output is a pipe (as in CI), running a boot that takes about 6 s.
        $saved = $env:GENTOOIMAGE_PROGRESS_INTERVAL
        $env:GENTOOIMAGE_PROGRESS_INTERVAL = $Interval
        $env:NO_COLOR = '1'
        Push-Location $RepoRoot
        try {
            $command = "Import-Module '$ModuleManifest'; Test-RawDiskImage -Path '$Image' -Boot -Accelerator Tcg -TimeoutSec 6 -SerialLogPath '$SerialLog' -WarningAction SilentlyContinue | Out-Null; 'END'"
            @(& dotnet pwsh -NoProfile -NonInteractive -Command $command 2>&1 | ForEach-Object { "$_" })
        }
        finally {
            Pop-Location
            $env:GENTOOIMAGE_PROGRESS_INTERVAL = $saved
            Remove-Item Env:NO_COLOR
        }
    }
}

AfterAll {
    if ($Dir) { Remove-GiTestDirectory $Dir }
}

Describe 'Progress lines in a non-interactive run' {
    It 'writes a line per interval during the boot, with the stage reached and the time spent' {
        $out = Invoke-Redirected '2'
        $out | Should -Contain 'END'
        $lines = @($out | Where-Object { $_ -match '^\[\d\d:\d\d:\d\d\] Testing disk image: ' })
        $lines.Count | Should -BeGreaterOrEqual 2 -Because ($out -join "`n")
        $lines | Should -Match 'Booting under Tcg with Bios firmware: firmware \(SeaBIOS/OVMF\) \(\d+ s of at most 6 s\)'
    }
    It 'writes none when turned off (GENTOOIMAGE_PROGRESS_INTERVAL=0)' {
        $out = Invoke-Redirected '0'
        $out | Should -Contain 'END'
        $out | Where-Object { $_ -match '^\[\d\d:\d\d:\d\d\] ' } | Should -BeNullOrEmpty
    }
}
