#Requires -Version 7.4
# New-RawDiskImage against the plain shell recipe on the same ~1.5 GB root, in one run:
# truncate + sfdisk + mkfs.ext4 -d at the partition offset + grub-mkimage + the boot-sector step
# (dd/printf standing in for grub-bios-setup, which refuses image files). Same size, same root.
# Two baselines, both timed in every round: the bare recipe, and the recipe plus `sha256sum` into
# <img>.sha256 (what New-RawDiskImage's output carries, so what a user really runs). Both ratios
# are printed. Also: allocated bytes of the .img against the root file system's used bytes.
param([Parameter(Mandatory)] [string] $ModuleManifest, [int] $Rounds = 2, [int] $DataMiB = 1400, [int] $SmallFiles = 40000)
$ErrorActionPreference = 'Stop'
$ModuleManifest = (Resolve-Path -LiteralPath $ModuleManifest).Path   # a relative path would be taken as a module name
Import-Module $ModuleManifest -Force
$repo = Split-Path (Split-Path $PSScriptRoot -Parent) -Parent
$support = Join-Path $repo 'out/TestSupport/GentooImage.TestSupport.dll'
if (-not ('GentooImage.TestSupport.FixtureRoot' -as [type])) { Add-Type -Path $support }

$dir = Join-Path ([IO.Path]::GetTempPath()) ('gi-bench-image-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
New-Item -ItemType Directory $dir | Out-Null
try {
    $watch = [Diagnostics.Stopwatch]::StartNew()
    # A root like a stage3 plus portage tree: many small files in many directories, some big ones.
    $root = [GentooImage.TestSupport.FixtureRoot]::Create((Join-Path $dir 'root'), $false)
    Add-Type -TypeDefinition @'
public static class GiBenchTree {
    public static void Small(string root, int count) {
        var rng = new System.Random(42); var buf = new byte[8192];
        for (int i = 0; i < count; i++) {
            var d = System.IO.Path.Combine(root, string.Format("usr/share/bench/{0:000}/{1:00}", i % 400, (i / 400) % 20));
            System.IO.Directory.CreateDirectory(d);
            rng.NextBytes(buf);
            using (var f = System.IO.File.Create(System.IO.Path.Combine(d, "f" + i))) f.Write(buf, 0, rng.Next(100, 8192));
        }
    }
}
'@
    [GiBenchTree]::Small($root, $SmallFiles)
    $bigCount = [math]::Max(1, [int]($DataMiB / 32))
    for ($i = 0; $i -lt $bigCount; $i++) {
        & dd if=/dev/urandom "of=$(Join-Path $root "usr/lib/big$i.bin")" bs=1M count=32 status=none
    }
    [IO.File]::WriteAllBytes((Join-Path $root 'boot/vmlinuz-6.1.0-bench'), [byte[]]::new(8MB))
    Write-Host ("Generated the root in {0:0.0}s" -f $watch.Elapsed.TotalSeconds)
    $usedMiB = [long]((& du -s --block-size=1M $root) -split '\s+')[0]

    $out = Join-Path $dir 'out'; New-Item -ItemType Directory $out | Out-Null
    $mods = 'biosdisk part_msdos part_gpt ext2 fat normal search search_fs_uuid search_label linux echo serial terminal configfile test boot sleep ls cat halt reboot minicmd gzio'
    $recipe = @'
set -e
img=$1; root=$2; size=$3; mods=$4; work=$5; checksum=$6
truncate -s "$size" "$img"
printf 'label: dos\nstart=2048, type=83, bootable\n' | sfdisk -q "$img"
start=$(sfdisk --json "$img" | sed -n 's/.*"start": *\([0-9]*\).*/\1/p' | head -1)
sectors=$(sfdisk --json "$img" | sed -n 's/.*"size": *\([0-9]*\).*/\1/p' | head -1)
mkfs.ext4 -q -F -d "$root" -L cloudimg-rootfs -E offset=$((start * 512)) "$img" $((sectors / 2))k
uuid=$(dumpe2fs -h "$img?offset=$((start * 512))" 2>/dev/null | sed -n 's/^Filesystem UUID: *//p')
printf 'search --no-floppy --fs-uuid --set=root %s\nset prefix=($root)/boot/grub\n' "$uuid" > "$work/early.cfg"
grub-mkimage -O i386-pc -c "$work/early.cfg" -p /boot/grub -o "$work/core.img" $mods
# grub-bios-setup's job: boot.img code into the MBR, core.img into the gap, the sector pointers.
dd if=/usr/lib/grub/i386-pc/boot.img of="$img" bs=440 count=1 conv=notrunc status=none
printf '\001\000\000\000\000\000\000\000' | dd of="$img" bs=1 seek=$((0x5C)) conv=notrunc status=none
printf '\220\220' | dd of="$img" bs=1 seek=$((0x66)) conv=notrunc status=none
n=$(( ($(stat -c %s "$work/core.img") + 511) / 512 ))
dd if="$work/core.img" of="$img" bs=512 seek=1 conv=notrunc status=none
printf "\\$(printf %03o 2)\000\000\000\000\000\000\000\\$(printf %03o $(( (n-1) & 255 )))\\$(printf %03o $(( (n-1) >> 8 )))\040\010" | dd of="$img" bs=1 seek=$((512 + 500)) conv=notrunc status=none
sync -f "$img"
if [ "$checksum" = sha256 ]; then
  (cd "$(dirname "$img")" && sha256sum "$(basename "$img")" > "$(basename "$img").sha256")
fi
'@
    $script = Join-Path $dir 'recipe.sh'
    Set-Content $script $recipe

    $cmdlet = [Collections.Generic.List[double]]::new()
    $shell = [Collections.Generic.List[double]]::new()
    $shellSum = [Collections.Generic.List[double]]::new()
    $image = $null; $size = 0
    for ($r = 1; $r -le $Rounds; $r++) {
        $imgPath = Join-Path $out 'cmdlet.img'
        Remove-Item "$imgPath*" -Force -ErrorAction SilentlyContinue
        $t = Measure-Command { $script:image = New-RawDiskImage -RootPath $root -Path $imgPath -Force }
        $cmdlet.Add($t.TotalSeconds)
        $size = $image.VirtualSize
        foreach ($variant in 'bare', 'sha256') {
            $shImg = Join-Path $out 'shell.img'
            Remove-Item "$shImg*" -Force -ErrorAction SilentlyContinue
            $t = Measure-Command { & bash $script $shImg $root $size $mods $dir $variant; if ($LASTEXITCODE) { throw "recipe failed ($LASTEXITCODE)" } }
            if ($variant -eq 'bare') { $shell.Add($t.TotalSeconds) } else { $shellSum.Add($t.TotalSeconds) }
        }
        Write-Host ("Round {0}: cmdlet {1:0.00}s, shell recipe {2:0.00}s, recipe + sha256sum {3:0.00}s" -f $r, $cmdlet[-1], $shell[-1], $shellSum[-1])
    }

    $rootPart = (& sfdisk --json $image.Path | ConvertFrom-Json).partitiontable.partitions | Where-Object { $_.node -like '*1' }
    $super = & dumpe2fs -h "$($image.Path)?offset=$($rootPart.start * 512)" 2>$null
    $field = { param($n) [long](($super | Where-Object { $_ -match "^${n}:" }) -replace '^[^:]+:\s*', '') }
    $fsUsed = (& $field 'Block count') - (& $field 'Free blocks')
    $fsUsedBytes = $fsUsed * (& $field 'Block size')
    $shellAlloc = [long](& stat -c '%b*%B' (Join-Path $out 'shell.img') | ForEach-Object { Invoke-Expression $_ })

    $best = { param($l) [math]::Round(($l | Measure-Object -Minimum).Minimum, 2) }
    [pscustomobject]@{
        Bench                     = 'New-RawDiskImage (writes <img>.sha256) vs truncate+sfdisk+mkfs.ext4 -d+grub-mkimage+boot sector, with and without sha256sum'
        RootUsedMiB               = $usedMiB
        RootFiles                 = $SmallFiles + $bigCount
        ImageSizeMiB              = [math]::Round($size / 1MB)
        Rounds                    = $Rounds
        CmdletSeconds             = & $best $cmdlet
        RecipePlusSha256Seconds   = & $best $shellSum
        RatioVsRecipePlusSha256   = [math]::Round((& $best $cmdlet) / (& $best $shellSum), 3)
        BareRecipeSeconds         = & $best $shell
        RatioVsBareRecipe         = [math]::Round((& $best $cmdlet) / (& $best $shell), 3)
        AllCmdlet                 = ($cmdlet | ForEach-Object { [math]::Round($_, 2) }) -join ', '
        AllRecipePlusSha256       = ($shellSum | ForEach-Object { [math]::Round($_, 2) }) -join ', '
        AllBareRecipe             = ($shell | ForEach-Object { [math]::Round($_, 2) }) -join ', '
        Load                      = (Get-Content /proc/loadavg) -replace ' \S+ \S+$', ''
        ImageAllocatedMiB         = [math]::Round($image.AllocatedSize / 1MB, 1)
        FsUsedMiB                 = [math]::Round($fsUsedBytes / 1MB, 1)
        AllocatedVsFsUsed         = [math]::Round($image.AllocatedSize / $fsUsedBytes, 3)
        ShellImageAllocatedMiB    = [math]::Round($shellAlloc / 1MB, 1)
    } | Format-List | Out-String | Write-Host
}
finally {
    Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction SilentlyContinue
}
