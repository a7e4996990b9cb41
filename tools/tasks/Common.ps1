# Dot-sourced by build.ps1 before the task files: the paths every task uses, and the helpers that
# run tools and child pwsh processes on this console.

$Repo = Split-Path (Split-Path $PSScriptRoot -Parent) -Parent
$Out = Join-Path $Repo 'out'
$ModuleOut = Join-Path $Out 'GentooImage'
$TestResults = Join-Path $Out 'TestResults'
$ToolsDir = Join-Path $Repo '.tools'
$PesterVersion = '6.2.0'
$PesterManifest = Join-Path $ToolsDir "nuget/pester/$PesterVersion/tools/Pester.psd1"

function Write-Step([string] $Message) {
    Write-Host "==> $Message" -ForegroundColor Cyan
}

function Invoke-Native {
    # Runs a tool on this console (its output unbuffered, as if typed) and shows that it is still
    # working: a progress bar with the elapsed time on a terminal, and a line every 30 s when the
    # output is redirected (CI, a log), where pwsh draws no progress.
    param([Parameter(Mandatory)] [string] $File, [string[]] $Arguments = @(), [switch] $AllowFailure)
    $psi = [System.Diagnostics.ProcessStartInfo]::new($File)
    $psi.UseShellExecute = $false
    foreach ($a in $Arguments) { $psi.ArgumentList.Add($a) }
    $what = "$File $(@($Arguments | Select-Object -First 2) -join ' ')"
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    $child = [System.Diagnostics.Process]::Start($psi)
    try {
        $nextLine = 30
        while (-not $child.WaitForExit(1000)) {
            $elapsed = [int] $watch.Elapsed.TotalSeconds
            Write-Progress -Activity $what -Status ('{0} min {1:00} s' -f [int][math]::Floor($elapsed / 60), ($elapsed % 60))
            if ([Console]::IsOutputRedirected -and $elapsed -ge $nextLine) {
                Write-Host ('[{0:HH:mm:ss}] {1}: still running ({2} min {3:00} s)' -f (Get-Date), $what, [int][math]::Floor($elapsed / 60), ($elapsed % 60))
                $nextLine += 30
            }
        }
        $child.WaitForExit()
        Write-Progress -Activity $what -Completed
        $code = $child.ExitCode
    }
    finally {
        if (-not $child.HasExited) { $child.Kill($true) }
        $child.Dispose()
    }
    if ($code -and -not $AllowFailure) {
        throw "'$File $($Arguments -join ' ')' failed with exit code $code."
    }
}

function Invoke-ChildPwsh {
    # A fresh pwsh from the same local tool, so the just-built DLL is loaded and nothing is locked.
    # It shares this console (its output is not piped through this process), so on a terminal its
    # Write-Progress bars show (the kernel build, downloads, the boot); with output redirected (CI,
    # a log) the module writes a progress line every 30 s instead.
    param([Parameter(Mandatory)] [string[]] $Arguments)
    $psi = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
    $psi.WorkingDirectory = $Repo
    $psi.UseShellExecute = $false
    foreach ($a in @('pwsh', '-NoProfile', '-NonInteractive') + $Arguments) { $psi.ArgumentList.Add($a) }
    $child = [System.Diagnostics.Process]::Start($psi)
    try {
        $child.WaitForExit()
        return $child.ExitCode
    }
    finally {
        $child.Dispose()
    }
}
