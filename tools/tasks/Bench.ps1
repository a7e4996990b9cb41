# -Task Bench: Bootstrap + Build, then every tools/bench/*.Bench.ps1 in its own child pwsh: each
# stage against its standard tool on the same input in one run (README, "Benchmarks").

function Invoke-Bench {
    param([Parameter(Mandatory)] [string] $Configuration, [string[]] $BenchName)
    $benches = @(Get-ChildItem (Join-Path $Repo 'tools/bench') -Filter '*.Bench.ps1' | Sort-Object Name)
    if ($BenchName) {
        $all = $benches
        $benches = @($all | Where-Object { $n = $_.Name -replace '\.Bench\.ps1$', ''; $BenchName | Where-Object { $n -like $_ } })
        if (-not $benches) {
            throw "No bench named $($BenchName -join ', ') in tools/bench (names: $(($all.Name -replace '\.Bench\.ps1$', '') -join ', '))."
        }
    }
    Invoke-Bootstrap
    Invoke-Build -Configuration $Configuration
    $failedBenches = 0
    foreach ($b in $benches) {
        Write-Step "Bench: $($b.BaseName)"
        $rc = Invoke-ChildPwsh @('-File', $b.FullName, '-ModuleManifest', (Join-Path $ModuleOut 'GentooImage.psd1'))
        if ($rc) { $failedBenches++; Write-Warning "$($b.Name) failed ($rc)." }
    }
    if ($failedBenches) { exit 1 }
}
