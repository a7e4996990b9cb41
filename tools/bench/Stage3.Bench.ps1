#Requires -Version 7.4
# New-Stage3Root (with Full verification: gpg signature of the DIGESTS, SHA512 + BLAKE2B, guarded
# extraction) against the handbook's `tar xpf stage3.tar.xz --xattrs-include='*.*' --numeric-owner`
# on the same generated stage3-sized archive, in the same run. Prints both times and the ratio.
# Needs root. Everything lives under one gi-bench-* temp dir that is deleted at the end.
param(
    [Parameter(Mandatory)] [string] $ModuleManifest,
    # Incompressible data (like binaries) and compressible data (like text, headers, scripts), in MB.
    [int] $RandomMB = 300,
    [int] $CompressibleMB = 1000,
    [int] $Rounds = 2
)
$ErrorActionPreference = 'Stop'
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

$dir = Join-Path ([IO.Path]::GetTempPath()) ('gi-bench-' + [Guid]::NewGuid().ToString('N').Substring(0, 8))
$mirror = $null
try {
    New-Item -ItemType Directory $dir | Out-Null
    $src = Join-Path $dir 'src'
    [GentooImage.TestSupport.FixtureRoot]::Create($src) | Out-Null      # owners, xattrs, devices, links
    $files = [GiBenchTree]::Write($src, $RandomMB, $CompressibleMB)
    $tarXz = Join-Path $dir 'stage3-amd64-openrc-20260811T083102Z.tar.xz'
    Write-Host "Packing $files files with GNU tar + multi-block xz -T2..."
    $packTime = Measure-Command {
        & tar --create --file $tarXz.Substring(0, $tarXz.Length - 3) --xattrs --xattrs-include='*.*' --numeric-owner --directory $src .
        if ($LASTEXITCODE) { throw 'tar failed' }
        & xz -T2 --block-size=16MiB -0 --force $tarXz.Substring(0, $tarXz.Length - 3)
        if ($LASTEXITCODE) { throw 'xz failed' }
    }
    & rm -rf --one-file-system -- $src
    $mirror = [GentooImage.TestSupport.FixtureMirror]::Create()         # a throw-away signing key
    $mirror.SignBeside($tarXz, $mirror.Trusted)
    $uncompressed = ((& xz --robot --list $tarXz | Select-String '^totals') -split "`t")[4]

    $ours = [Collections.Generic.List[double]]::new()
    $theirs = [Collections.Generic.List[double]]::new()
    foreach ($round in 1..$Rounds) {
        $order = if ($round % 2) { 'tar', 'ours' } else { 'ours', 'tar' }
        foreach ($who in $order) {
            $root = Join-Path $dir "root-$who"
            & sync
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
            & rm -rf --one-file-system -- $root
        }
    }
    $o = ($ours | Sort-Object)[0]; $h = ($theirs | Sort-Object)[0]
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
        Note                  = 'best of rounds; New-Stage3Root includes gpg, SHA512, BLAKE2B and the header checks'
    } | Format-List | Out-String | Write-Host
}
finally {
    if ($mirror) { $mirror.Dispose() }
    if (Test-Path $dir) { & rm -rf --one-file-system -- $dir }
}
