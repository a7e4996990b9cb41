# -Task Clean: removes out/ and every bin/ and obj/ folder below src/ and tests/.

function Invoke-Clean {
    foreach ($d in @($Out) + @(Get-ChildItem $Repo/src, $Repo/tests -Directory -Recurse -Include bin, obj | ForEach-Object FullName)) {
        if (Test-Path $d) { Remove-Item -Recurse -Force $d; Write-Host "Removed $d" }
    }
}
