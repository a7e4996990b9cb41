#Requires -Version 7.4
# New-Stage3Root (with Full verification: gpg signature of the DIGESTS, SHA512 + BLAKE2B, guarded
# extraction) against the handbook's `tar xpf stage3.tar.xz --xattrs-include='*.*' --numeric-owner`
# on the same generated stage3-sized archive, in the same run. Prints both times and the ratio.
# Also times the parts alone on the same archive (hashes, xz on one thread and on all cores, xz -T0
# piped into tar, the guarded extraction without hashes), to show where New-Stage3Root's time goes.
# Every extraction, ours and tar's, goes into its own freshly made ext4 file system (a sparse file on
# a loop device), as the handbook's extraction into a new /mnt/gentoo does. Extracting into a
# directory right after `rm -rf` of the last 1.3 GB tree measures something else: on an ext4 without
# a journal (this machine's root) the inode allocator then skips every recently deleted inode
# (ext4's recently_deleted(), 60-360 s), which made file creation 5x slower for both tools and
# buried the tools' own difference in noise.
# Needs root. Everything lives under one gi-bench-* temp dir that is deleted at the end, unless
# -WorkDirectory is given: then the generated archive is kept there and reused by the next run.
param(
    [Parameter(Mandatory)] [string] $ModuleManifest,
    # Incompressible data (like binaries) and compressible data (like text, headers, scripts), in MB.
    [int] $RandomMB = 300,
    [int] $CompressibleMB = 1000,
    [int] $Rounds = 3,
    # Skip timing the parts alone.
    [switch] $NoBreakdown,
    # Keep the generated archive here and reuse it (it takes minutes to make); the roots are still removed.
    [string] $WorkDirectory
)
$ErrorActionPreference = 'Stop'
$ModuleManifest = (Resolve-Path -LiteralPath $ModuleManifest).Path   # a relative path would be taken as a module name
Import-Module $ModuleManifest -Force
$repo = Split-Path (Split-Path $PSScriptRoot -Parent) -Parent
if (-not ('GentooImage.TestSupport.FixtureMirror' -as [type])) { Add-Type -Path (Join-Path $repo 'out/TestSupport/GentooImage.TestSupport.dll') }

Add-Type -TypeDefinition @'
using System;
using System.IO;
using System.Text;
public static class GiBenchTree
{
    // Many small compressible files (words drawn with a skew, like text) and fewer large random ones.
    public static long Write(string root, int randomMB, int compressibleMB)
    {
        var rng = new Random(42);
        var words = new string[4096];
        for (int i = 0; i < words.Length; i++)
        {
            var sb = new StringBuilder();
            int len = 2 + rng.Next(9);
            for (int j = 0; j < len; j++) sb.Append((char)('a' + rng.Next(26)));
            words[i] = sb.ToString();
        }
        long files = 0;
        long left = (long)compressibleMB << 20;
        var text = new StringBuilder();
        while (left > 0)
        {
            var dir = Path.Combine(root, "usr/share/d" + (files % 300));
            Directory.CreateDirectory(dir);
            int size = 1024 + rng.Next(60 * 1024);
            text.Clear();
            while (text.Length < size) { text.Append(words[(int)(Math.Pow(rng.NextDouble(), 3) * words.Length)]); text.Append(rng.Next(12) == 0 ? '\n' : ' '); }
            File.WriteAllText(Path.Combine(dir, "f" + files + ".txt"), text.ToString());
            left -= text.Length;
            files++;
        }
        left = (long)randomMB << 20;
        var buf = new byte[8 << 20];
        while (left > 0)
        {
            var dir = Path.Combine(root, "usr/lib64/b" + (files % 40));
            Directory.CreateDirectory(dir);
            int size = (int)Math.Min(left, 64 * 1024 + rng.Next((8 << 20) - 65536));
            rng.NextBytes(buf);
            using (var f = File.Create(Path.Combine(dir, "lib" + files + ".so"))) f.Write(buf, 0, size);
            left -= size;
            files++;
        }
        return files;
    }
}
'@

# A new ext4 file system mounted at <dir>/mnt-<name>; Remove-Target undoes it (also in finally).
$script:targets = [Collections.Generic.List[object]]::new()
function New-Target([string] $name) {
    $image = Join-Path $dir "fs-$name.img"
    $mnt = Join-Path $dir "mnt-$name"
    & truncate -s 8G $image; if ($LASTEXITCODE) { throw 'truncate failed' }
    & mkfs.ext4 -q -F $image; if ($LASTEXITCODE) { throw 'mkfs.ext4 failed' }
    $loop = (& losetup --find --show $image); if ($LASTEXITCODE) { Remove-Item $image -Force; throw 'losetup failed' }
    $t = [pscustomobject]@{ Image = $image; Mount = $mnt; Loop = $loop; Mounted = $false }
    $script:targets.Add($t)
    New-Item -ItemType Directory $mnt -Force | Out-Null
    & mount $loop $mnt; if ($LASTEXITCODE) { throw 'mount failed' }
    $t.Mounted = $true
    & sync
    $t
}
function Remove-Target($t) {
    if ($t.Mounted) {
        & umount $t.Mount
        if ($LASTEXITCODE) { Write-Warning "umount $($t.Mount) failed; detaching it lazily"; & umount -l $t.Mount }
        $t.Mounted = $false
    }
    if ($t.Loop) { & losetup -d $t.Loop; $t.Loop = $null }
    Remove-Item $t.Image -Force -ErrorAction SilentlyContinue
    # Only the empty mount point: never a recursive delete where a file system might still hang.
    if (Test-Path $t.Mount) { try { [IO.Directory]::Delete($t.Mount) } catch { Write-Warning "left $($t.Mount): $_" } }
    [void]$script:targets.Remove($t)
}

$keep = [bool]$WorkDirectory
$dir = if ($keep) { [IO.Path]::GetFullPath($WorkDirectory) } else { Join-Path ([IO.Path]::GetTempPath()) ('gi-bench-' + [Guid]::NewGuid().ToString('N').Substring(0, 8)) }
$mirror = $null
try {
    New-Item -ItemType Directory $dir -Force | Out-Null
    $tarXz = Join-Path $dir 'stage3-amd64-openrc-20260811T083102Z.tar.xz'
    $filesPath = Join-Path $dir 'files.txt'
    $packTime = [timespan]::Zero
    if ($keep -and (Test-Path $tarXz) -and (Test-Path $filesPath)) {
        $files = [long](Get-Content $filesPath)
        Write-Host "Reusing $tarXz ($files files)."
    }
    else {
        $src = Join-Path $dir 'src'
        [GentooImage.TestSupport.FixtureRoot]::Create($src) | Out-Null      # owners, xattrs, devices, links
        $files = [GiBenchTree]::Write($src, $RandomMB, $CompressibleMB)
        Write-Host "Packing $files files with GNU tar + multi-block xz -T2..."
        $packTime = Measure-Command {
            & tar --create --file $tarXz.Substring(0, $tarXz.Length - 3) --xattrs --xattrs-include='*.*' --numeric-owner --directory $src .
            if ($LASTEXITCODE) { throw 'tar failed' }
            & xz -T2 --block-size=16MiB -0 --force $tarXz.Substring(0, $tarXz.Length - 3)
            if ($LASTEXITCODE) { throw 'xz failed' }
        }
        & rm -rf --one-file-system -- $src
        Set-Content $filesPath $files
    }
    $mirror = [GentooImage.TestSupport.FixtureMirror]::Create()         # a throw-away signing key
    $mirror.SignBeside($tarXz, $mirror.Trusted)
    $uncompressed = ((& xz --robot --list $tarXz | Select-String '^totals') -split "`t")[4]

    $ours = [Collections.Generic.List[double]]::new()
    $theirs = [Collections.Generic.List[double]]::new()
    foreach ($round in 1..$Rounds) {
        $order = if ($round % 2) { 'tar', 'ours' } else { 'ours', 'tar' }
        foreach ($who in $order) {
            $target = New-Target $who
            $root = Join-Path $target.Mount 'gentoo'
            if ($who -eq 'tar') {
                New-Item -ItemType Directory $root | Out-Null
                $t = Measure-Command { & tar xpf $tarXz --xattrs-include='*.*' --numeric-owner -C $root; if ($LASTEXITCODE) { throw 'tar xpf failed' } }
                $theirs.Add($t.TotalSeconds)
            }
            else {
                $t = Measure-Command {
                    New-Stage3Root -Path $root -Stage3 $tarXz -KeyringPath $mirror.Trusted.PublicKeyPath `
                        -TrustedFingerprint $mirror.Trusted.PrimaryFingerprint -CacheDirectory (Join-Path $dir 'cache') -ProgressAction SilentlyContinue | Out-Null
                }
                $ours.Add($t.TotalSeconds)
            }
            Remove-Target $target
        }
    }
    $parts = [ordered]@{}
    if (-not $NoBreakdown) {
        # Each part alone, once, on the same archive (file in the page cache, as in the rounds).
        $time = { param($block) & sync; [math]::Round((Measure-Command $block).TotalSeconds, 2) }
        $none = [GentooImage.Engine.Platform.OperationContext]::None
        $parts['SHA512 + BLAKE2B as New-Stage3Root hashes (in-process SHA512, b2sum beside it)'] = & $time {
            [GentooImage.Engine.Stage3.FileDigests]::ComputeAsync($tarXz, $true, $none, $null).GetAwaiter().GetResult() | Out-Null }
        $parts['sha512sum'] = & $time { & sha512sum -- $tarXz | Out-Null }
        $parts['b2sum'] = & $time { & b2sum -- $tarXz | Out-Null }
        $parts['xz -t (decompress only), 1 thread, as tar xpf runs it'] = & $time { & xz -t -T1 -- $tarXz; if ($LASTEXITCODE) { throw 'xz -t failed' } }
        $parts['xz -t -T0 (decompress only), all cores'] = & $time { & xz -t -T0 -- $tarXz; if ($LASTEXITCODE) { throw 'xz -t failed' } }
        $target = New-Target 'parts'
        $parts["tar xpf -I 'xz -T0' (no guard, no hashes)"] = & $time {
            & tar --use-compress-program='xz -T0' -xpf $tarXz --xattrs-include='*.*' --numeric-owner -C $target.Mount; if ($LASTEXITCODE) { throw 'tar failed' } }
        Remove-Target $target
        $target = New-Target 'parts'
        $parts['xz -T0 | header guard (data by splice) | tar (Stage3Extractor, no hashes)'] = & $time {
            [GentooImage.Engine.Stage3.Stage3Extractor]::new($null).ExtractAsync($tarXz, $target.Mount, $none).GetAwaiter().GetResult() | Out-Null }
        Remove-Target $target
        $plain = Join-Path $dir 'root-after-rm'
        New-Item -ItemType Directory $plain -Force | Out-Null
        $parts['tar xpf into a directory of the work dir''s file system (after the rounds'' deletions)'] = & $time {
            & tar xpf $tarXz --xattrs-include='*.*' --numeric-owner -C $plain; if ($LASTEXITCODE) { throw 'tar failed' } }
        & rm -rf --one-file-system -- $plain
    }

    $o = ($ours | Sort-Object)[0]; $h = ($theirs | Sort-Object)[0]
    $om = ($ours | Sort-Object)[[int][math]::Floor(($ours.Count - 1) / 2)]; $hm = ($theirs | Sort-Object)[[int][math]::Floor(($theirs.Count - 1) / 2)]
    [pscustomobject]@{
        Bench                 = 'New-Stage3Root vs tar xpf --xattrs-include=*.* --numeric-owner'
        ArchiveMB             = [math]::Round((Get-Item $tarXz).Length / 1MB, 1)
        UncompressedMB        = [math]::Round([double]$uncompressed / 1MB, 1)
        Files                 = $files
        Cores                 = [Environment]::ProcessorCount
        PackSeconds           = [math]::Round($packTime.TotalSeconds, 1)
        NewStage3RootSeconds  = [math]::Round($o, 2)
        TarSeconds            = [math]::Round($h, 2)
        AllNewStage3Root      = ($ours | ForEach-Object { [math]::Round($_, 2) }) -join ', '
        AllTar                = ($theirs | ForEach-Object { [math]::Round($_, 2) }) -join ', '
        Ratio                 = [math]::Round($o / $h, 3)
        MedianRatio           = [math]::Round($om / $hm, 3)
        InverseRatio          = [math]::Round($h / $o, 3)
        Target                = 'a fresh ext4 (loop device) per extraction'
        Load                  = (Get-Content /proc/loadavg) -replace ' \S+ \S+$', ''
        Note                  = 'Ratio: best of rounds, MedianRatio: medians; New-Stage3Root includes gpg, SHA512, BLAKE2B and the header checks'
    } | Format-List | Out-String | Write-Host
    if ($parts.Count) {
        Write-Host 'Where the time goes (seconds, each part alone on the same archive, same run):'
        $parts.GetEnumerator() | ForEach-Object { [pscustomobject]@{ Part = $_.Key; Seconds = $_.Value } } | Format-Table -AutoSize | Out-String -Width 200 | Write-Host
    }
}
finally {
    foreach ($t in @($script:targets)) { Remove-Target $t }
    if ($mirror) { $mirror.Dispose() }
    if ($keep) { Get-ChildItem $dir -Filter 'root-*' -Directory | ForEach-Object { & rm -rf --one-file-system -- $_.FullName } }
    elseif (Test-Path $dir) { & rm -rf --one-file-system -- $dir }
}
