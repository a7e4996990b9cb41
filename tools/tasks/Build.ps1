# -Task Build: the solution, the module laid out in out/GentooImage (manifest with its release
# notes, DLLs, format file, MAML help, about topic) and the test fixtures in out/TestSupport.

function Invoke-Build {
    param([Parameter(Mandatory)] [string] $Configuration)
    Write-Step "Build ($Configuration)"
    Invoke-Native dotnet @('build', (Join-Path $Repo 'GentooImage.sln'), '-c', $Configuration, '-nologo', '-v', 'q', '-clp:ErrorsOnly')

    if (Test-Path $ModuleOut) { Remove-Item -Recurse -Force $ModuleOut }
    New-Item -ItemType Directory -Force $ModuleOut | Out-Null
    $bin = Join-Path $Repo "src/GentooImage/bin/$Configuration/net8.0"
    foreach ($f in 'GentooImage.dll', 'GentooImage.pdb', 'GentooImage.Engine.dll', 'GentooImage.Engine.pdb', 'GentooImage.deps.json', 'GentooImage.Format.ps1xml') {
        Copy-Item (Join-Path $bin $f) $ModuleOut
    }
    Write-BuiltManifest (Join-Path $ModuleOut 'GentooImage.psd1')

    $support = Join-Path $Out 'TestSupport'
    if (Test-Path $support) { Remove-Item -Recurse -Force $support }
    Copy-Item -Recurse (Join-Path $Repo "tests/GentooImage.TestSupport/bin/$Configuration/net8.0") $support

    Write-Step 'Help: MAML from src/help'
    # In a child pwsh: the generator imports the module just built, which must not stay loaded here.
    $rc = Invoke-ChildPwsh @('-File', (Join-Path $Repo 'build.ps1'), '-Task', 'Help')
    if ($rc) { throw "Help generation failed ($rc)." }
    # Conceptual help (Get-Help about_GentooImage): plain text beside the MAML.
    Copy-Item (Join-Path $Repo 'src/help/en-US/about_*.help.txt') (Join-Path $ModuleOut 'en-US')
    Write-Host "Module: $ModuleOut"
}

function Get-ChangelogSection([string] $Version) {
    # The text under '## [<Version>]' in CHANGELOG.md, up to the next '## ' heading.
    $lines = Get-Content (Join-Path $Repo 'CHANGELOG.md')
    $start = -1
    for ($i = 0; $i -lt $lines.Count; $i++) {
        if ($lines[$i] -match "^## \[?$([regex]::Escape($Version))\]?(\s|$)") { $start = $i; break }
    }
    if ($start -lt 0) { throw "CHANGELOG.md has no section '## [$Version]' for the manifest's ModuleVersion." }
    $body = for ($i = $start + 1; $i -lt $lines.Count -and $lines[$i] -notmatch '^## '; $i++) { $lines[$i] }
    "$($lines[$start].Substring(3).Trim())`n$(($body -join "`n").Trim())"
}

function Write-BuiltManifest([string] $Target) {
    # The source manifest with PSData.ReleaseNotes set to the CHANGELOG.md section of its version.
    $source = Join-Path $Repo 'GentooImage.psd1'
    $version = (Import-PowerShellDataFile $source).ModuleVersion
    $notes = (Get-ChangelogSection $version) -replace "'", "''"
    $text = Get-Content -Raw $source
    $pattern = "(?m)^(\s*ReleaseNotes\s*=\s*)'[^']*'"
    if ($text -notmatch $pattern) { throw "$source has no single-quoted ReleaseNotes line to fill in." }
    $text = [regex]::Replace($text, $pattern, { param($m) $m.Groups[1].Value + "'" + $notes + "'" })
    [IO.File]::WriteAllText($Target, $text, [Text.UTF8Encoding]::new($false))
}
