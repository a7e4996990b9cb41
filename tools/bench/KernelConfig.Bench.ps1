#Requires -Version 7.4
# Set-KernelConfig -Preset OpenStack (merge + make olddefconfig + verification of all 54 values)
# against the kernel's own scripts/kconfig/merge_config.sh -m + make olddefconfig (which verifies
# nothing), on the same linux-source-6.1 tree and the same x86_64 defconfig, in the same run.
param([Parameter(Mandatory)] [string] $ModuleManifest, [int] $Runs = 5)
$ErrorActionPreference = 'Stop'
$ModuleManifest = (Resolve-Path -LiteralPath $ModuleManifest).Path   # a relative path would be taken as a module name
Import-Module $ModuleManifest
$repo = Split-Path (Split-Path $PSScriptRoot -Parent) -Parent
if (-not ('GentooImage.Engine.Kernel.KernelConfigPreset' -as [type])) {
    Add-Type -Path (Join-Path (Split-Path $ModuleManifest -Parent) 'GentooImage.Engine.dll')
}
if (-not ('GentooImage.TestSupport.KernelSourceCache' -as [type])) {
    Add-Type -Path (Join-Path $repo 'out/TestSupport/GentooImage.TestSupport.dll')
}

$cache = [GentooImage.TestSupport.KernelSourceCache]
$tree = $cache::Tree
$work = Join-Path ([IO.Path]::GetTempPath()) ('gi-kbench-' + [Guid]::NewGuid().ToString('N').Substring(0, 8))
New-Item -ItemType Directory $work | Out-Null
try {
    $fragment = Join-Path $work 'openstack.config'
    [IO.File]::WriteAllText($fragment, [GentooImage.Engine.Kernel.KernelConfigPreset]::Text('OpenStack'))
    $ours = [Collections.Generic.List[double]]::new()
    $std = [Collections.Generic.List[double]]::new()
    $holding = $null
    foreach ($i in 0..$Runs) {
        # Ours (the first round is a warm-up for both and not counted).
        $config = $cache::NewDefconfigDir((Join-Path $work "ours$i"))
        $t = Measure-Command {
            $script:report = Set-KernelConfig -ConfigPath $config -KernelSource $tree -Preset OpenStack -WarningAction SilentlyContinue
        }
        if ($i) { $ours.Add($t.TotalMilliseconds) }
        $holding = '{0} of {1}' -f $report.Holding, $report.Rows.Count

        # The standard: merge_config.sh -m, then make olddefconfig.
        $dir = Join-Path $work "std$i"
        $null = $cache::NewDefconfigDir($dir)
        $t = Measure-Command {
            & "$tree/scripts/kconfig/merge_config.sh" -m -O $dir "$dir/.config" $fragment *> $null
            if ($LASTEXITCODE) { throw "merge_config.sh failed ($LASTEXITCODE)" }
            & make -C $tree "O=$dir" ARCH=x86_64 olddefconfig *> $null
            if ($LASTEXITCODE) { throw "make olddefconfig failed ($LASTEXITCODE)" }
        }
        if ($i) { $std.Add($t.TotalMilliseconds) }
        # Same input, same result.
        if ((Get-FileHash "$dir/.config").Hash -ne (Get-FileHash $config).Hash) { throw 'The two .config files differ.' }
    }

    $median = { param($l) ($l | Sort-Object)[[int][math]::Floor($l.Count / 2)] }
    $o = & $median $ours
    $s = & $median $std
    [pscustomobject]@{
        Bench              = 'Set-KernelConfig -Preset OpenStack (verified) vs merge_config.sh -m + make olddefconfig'
        Kernel             = $report.KernelVersion
        Runs               = $Runs
        Holding            = $holding
        SetKernelConfigMs  = [math]::Round($o, 1)
        MergeConfigShMs    = [math]::Round($s, 1)
        Ratio              = [math]::Round($o / $s, 3)
        Goal               = '<= 1.2'
    } | Format-List | Out-String | Write-Host
}
finally {
    Remove-Item -LiteralPath $work -Recurse -Force
}
