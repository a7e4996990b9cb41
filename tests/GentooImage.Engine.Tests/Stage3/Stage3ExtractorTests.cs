using System.Formats.Tar;
using System.Security.Cryptography;
using GentooImage.Engine.Platform;
using GentooImage.Engine.Stage3;
using GentooImage.TestSupport;

namespace GentooImage.Engine.Tests;

/// <summary>Extraction: identical to GNU tar's result, and refusal of every escape trick.</summary>
public sealed class Stage3ExtractorTests : IClassFixture<MirrorFixture>, IDisposable
{
    private readonly FixtureMirror _m;
    private readonly string _dir = Directory.CreateTempSubdirectory("gi-s3x-").FullName;

    public Stage3ExtractorTests(MirrorFixture fixture) => _m = fixture.Mirror;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public async Task NewStage3RootGivesExactlyWhatTheHandbooksTarGives()
    {
        var ours = Path.Combine(_dir, "ours");
        var theirs = Path.Combine(_dir, "theirs");
        var installer = new Stage3Installer();
        var request = new Stage3Request
        {
            RootPath = ours,
            Stage3 = _m.TarballPath,
            CacheDirectory = Path.Combine(_dir, "cache"),
            KeyringPath = _m.Trusted.PublicKeyPath,
            TrustedFingerprints = new[] { _m.Trusted.PrimaryFingerprint },
        };
        await installer.InstallAsync(await installer.PlanAsync(request, OperationContext.None), OperationContext.None);

        Directory.CreateDirectory(theirs);
        FixtureRoot.Run("tar", "xpf", _m.TarballPath, "--xattrs-include=*.*", "--numeric-owner", "-C", theirs);

        // New-Stage3Root adds its state file (var/lib/gentooimage/state.json), which touches var/lib's mtime.
        var a = Snapshot(ours, skip: p => p == "./var/lib/gentooimage" || p.StartsWith("./var/lib/gentooimage/", StringComparison.Ordinal));
        var b = Snapshot(theirs, skip: _ => false);
        // So var/lib (a "directory": field 5 is the mtime, 7 the link count) is compared without those.
        string Plain(string m) => string.Join(' ', m.Split(' ').Where((_, i) => i is not 5 and not 7));
        a.Meta["./var/lib"] = Plain(a.Meta["./var/lib"]);
        b.Meta["./var/lib"] = Plain(b.Meta["./var/lib"]);

        Assert.True(a.Meta.Count > 300, $"only {a.Meta.Count} entries");
        Assert.Equal(b.Meta.Keys.Order(), a.Meta.Keys.Order());
        foreach (var (path, meta) in b.Meta)
        {
            Assert.Equal(meta, a.Meta[path]);
        }

        Assert.Equal(b.Xattrs, a.Xattrs);
        Assert.Equal(b.HardlinkGroups, a.HardlinkGroups);

        // The fixture's special cases really are in there (so the comparison covers them).
        Assert.Contains("security.capability", a.Xattrs, StringComparison.Ordinal);
        Assert.Contains("user.gentooimage.fixture", a.Xattrs, StringComparison.Ordinal);
        Assert.StartsWith("regular file 0 0 4755 ", a.Meta["./usr/bin/fixture-suid"], StringComparison.Ordinal);
        Assert.StartsWith("character special file 0 0 666 ", a.Meta["./dev/null"], StringComparison.Ordinal);
        Assert.Contains(" 1,3 ", a.Meta["./dev/null"], StringComparison.Ordinal);
        Assert.StartsWith("fifo", a.Meta["./var/lib/fixture.fifo"], StringComparison.Ordinal);
        Assert.StartsWith("directory 250 250 ", a.Meta["./var/lib/portage/home"], StringComparison.Ordinal);
        Assert.Contains(new[] { "./usr/bin/fixture-sgid", "./usr/bin/fixture-sgid-hardlink" }, a.HardlinkGroups.Select(g => g.ToArray()));
    }

    private sealed record Tree(Dictionary<string, string> Meta, string Xattrs, List<List<string>> HardlinkGroups);

    /// <summary>Type, owner, mode, size, mtime (ns), device numbers, link target and content hash of every path; all xattrs; hardlink groups.</summary>
    private static Tree Snapshot(string root, Func<string, bool> skip)
    {
        var meta = new Dictionary<string, string>(StringComparer.Ordinal);
        var inodes = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var paths = FixtureRoot.Run("find", root, "-printf", "%P\\n").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => "./" + p).Append(".").Where(p => !skip(p)).ToList();
        foreach (var chunk in paths.Chunk(200))
        {
            var lines = FixtureRoot.Run("stat", new[] { "--printf", "%F %u %g %a %s %.9Y %t,%T %h %i|%N\\n" }
                .Concat(chunk.Select(p => Path.Combine(root, p))).ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            for (var i = 0; i < chunk.Length; i++)
            {
                var (rel, line) = (chunk[i], lines[i]);
                var bar = line.IndexOf('|', StringComparison.Ordinal);
                var fields = line[..bar].Split(' ');
                var inode = fields[^1];
                var links = fields[^2];
                var target = line[(bar + 1)..];
                target = target.Contains(" -> ", StringComparison.Ordinal) ? target[(target.IndexOf(" -> ", StringComparison.Ordinal) + 4)..] : string.Empty;
                var full = Path.Combine(root, rel);
                var hash = line.StartsWith("regular", StringComparison.Ordinal) ? Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(full))) : string.Empty;
                meta[rel] = $"{string.Join(' ', fields[..^1])} {target} {hash}";
                if (int.Parse(links) > 1 && !line.StartsWith("directory", StringComparison.Ordinal))
                {
                    (inodes.TryGetValue(inode, out var l) ? l : inodes[inode] = new List<string>()).Add(rel);
                }
            }
        }

        // getfattr prints one block per file; sort them so directory order does not matter.
        var dump = FixtureRoot.Run("sh", "-c", "cd \"$1\" && getfattr --recursive --physical --no-dereference --dump --match=- --encoding=hex . 2>/dev/null; true", "sh", root);
        var blocks = dump.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(b => b.Trim()).Where(b => b.Length > 0)
            .Where(b => !skip(b.Split('\n')[0].Replace("# file: ", string.Empty, StringComparison.Ordinal)))
            .Order(StringComparer.Ordinal);
        var groups = inodes.Values.Select(g => g.Order(StringComparer.Ordinal).ToList()).OrderBy(g => g[0], StringComparer.Ordinal).ToList();
        return new Tree(meta, string.Join("\n\n", blocks), groups);
    }

    // ---- unsafe archives --------------------------------------------------------------------

    public static TheoryData<string> EvilCases => new()
    {
        "dotdot", "absolute", "symlink-then-write", "symlink-dir-then-file", "hardlink-outside", "hardlink-absolute", "hardlink-through-symlink", "symlink-replaced",
    };

    [Theory]
    [MemberData(nameof(EvilCases))]
    public async Task UnsafeEntriesAreRefusedNamedAndNothingOutsideChanges(string kind)
    {
        var outside = Path.Combine(_dir, "outside");
        Directory.CreateDirectory(outside);
        var sentinel = Path.Combine(outside, "sentinel");
        File.WriteAllText(sentinel, "original");
        var tarXz = Path.Combine(_dir, $"stage3-amd64-openrc-20260811T083102Z.tar.xz");
        var evil = BuildEvil(kind, tarXz, outside);
        _m.SignBeside(tarXz);
        var root = Path.Combine(_dir, "root");
        var installer = new Stage3Installer();
        var request = new Stage3Request
        {
            RootPath = root,
            Stage3 = tarXz,
            CacheDirectory = Path.Combine(_dir, "cache"),
            KeyringPath = _m.Trusted.PublicKeyPath,
            TrustedFingerprints = new[] { _m.Trusted.PrimaryFingerprint },
        };
        var before = FixtureRoot.Run("find", _dir, "-mindepth", "1", "-printf", "%p %s %T@\\n");
        var ex = await Assert.ThrowsAsync<GentooImageException>(async () =>
            await installer.InstallAsync(await installer.PlanAsync(request, OperationContext.None), OperationContext.None));
        Assert.Equal(ErrorKind.UnsafeArchiveEntry, ex.Kind);
        Assert.Equal(evil, ex.Target);
        Assert.Contains(evil, ex.Message, StringComparison.Ordinal);
        Assert.Equal("original", File.ReadAllText(sentinel));
        Assert.Equal(new[] { "sentinel" }, Directory.GetFileSystemEntries(outside).Select(Path.GetFileName));
        Assert.False(Directory.Exists(root));
        Assert.Equal(before.Split('\n').Where(l => !l.Contains("/root", StringComparison.Ordinal)).Order(), FixtureRoot.Run("find", _dir, "-mindepth", "1", "-printf", "%p %s %T@\\n").Split('\n').Order());
    }

    /// <summary>Writes an xz'd tar whose last entry is the trick; returns that entry's name.</summary>
    private static string BuildEvil(string kind, string tarXz, string outside)
    {
        var tar = tarXz[..^3];
        var rel = Path.GetRelativePath(Path.Combine(Path.GetDirectoryName(tarXz)!, "root", "etc"), outside); // ../../outside
        try
        {
        using (var w = new TarWriter(File.Create(tar), TarEntryFormat.Pax, leaveOpen: false))
        {
            void Dir(string n) => w.WriteEntry(new PaxTarEntry(TarEntryType.Directory, n) { Mode = (UnixFileMode)0b111_101_101 });
            void FileEntry(string n, string content = "pwned") =>
                w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, n) { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)) });
            void Link(TarEntryType t, string n, string target) => w.WriteEntry(new PaxTarEntry(t, n) { LinkName = target });

            Dir("./");
            Dir("./etc/");
            FileEntry("./etc/gentoo-release", "Gentoo\n");
            switch (kind)
            {
                case "dotdot":
                    FileEntry($"./etc/{rel}/sentinel");
                    return $"./etc/{rel}/sentinel";
                case "absolute":
                    FileEntry(outside + "/sentinel");
                    return outside + "/sentinel";
                case "symlink-then-write":
                    Link(TarEntryType.SymbolicLink, "./etc/escape", outside);
                    FileEntry("./etc/escape/sentinel");
                    return "./etc/escape/sentinel";
                case "symlink-dir-then-file":
                    Link(TarEntryType.SymbolicLink, "./x", "etc/../" + rel);
                    Dir("./x/sub/");
                    return "./x/sub/";
                case "hardlink-outside":
                    Link(TarEntryType.HardLink, "./etc/passwd", $"etc/{rel}/sentinel");
                    return "./etc/passwd";
                case "hardlink-absolute":
                    Link(TarEntryType.HardLink, "./etc/passwd", outside + "/sentinel");
                    return "./etc/passwd";
                case "hardlink-through-symlink":
                    Link(TarEntryType.SymbolicLink, "./etc/out", outside);
                    Link(TarEntryType.HardLink, "./etc/passwd", "etc/out/sentinel");
                    return "./etc/passwd";
                case "symlink-replaced":
                    Link(TarEntryType.SymbolicLink, "./etc/sentinel", outside + "/sentinel");
                    FileEntry("./etc/sentinel");
                    return "./etc/sentinel";
                default:
                    throw new ArgumentException(kind);
            }
        }
        }
        finally
        {
            FixtureMirror.Compress(tar);
        }
    }

    [Fact]
    public async Task FileDataGoesFromXzToTarBySpliceAndArrivesIntact()
    {
        // Files of every size around the 512-byte blocks and the 1 MiB pipes, long names (pax
        // headers, read by the guard itself), an empty file and a hard link (no data).
        var tar = Path.Combine(_dir, "splice.tar");
        var rng = new Random(7);
        var sizes = new[] { 0, 1, 511, 512, 513, 4095, 65536, 65537, (1 << 20) - 1, 1 << 20, (3 << 20) + 17 };
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        long expected = 0;
        using (var w = new TarWriter(File.Create(tar), TarEntryFormat.Pax, leaveOpen: false))
        {
            w.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "./") { Mode = (UnixFileMode)0b111_101_101 });
            for (var i = 0; i < sizes.Length; i++)
            {
                var name = $"./f{i}-" + new string('n', i % 2 == 0 ? 150 : 3);
                var data = new byte[sizes[i]];
                rng.NextBytes(data);
                files[name[2..]] = data;
                expected += (data.Length + 511) & ~511;
                w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data), Mode = (UnixFileMode)0b110_100_100 });
            }

            w.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, "./hard") { LinkName = "./f1-nnn" });
        }

        FixtureRoot.Run("xz", "-T2", "--block-size=1MiB", "-0", tar);
        var root = Path.Combine(_dir, "spliced");
        Directory.CreateDirectory(root);
        var extractor = new Stage3Extractor();
        Assert.Equal(sizes.Length + 2, await extractor.ExtractAsync(tar + ".xz", root, OperationContext.None));

        Assert.Equal(expected, extractor.SplicedBytes);
        foreach (var (name, data) in files)
        {
            Assert.Equal(SHA256.HashData(data), SHA256.HashData(File.ReadAllBytes(Path.Combine(root, name))));
        }

        Assert.Equal(File.ReadAllBytes(Path.Combine(root, "f1-nnn")), File.ReadAllBytes(Path.Combine(root, "hard")));
    }

    [Fact]
    public async Task AnArchiveThatEndsInsideAFileIsCalledDamagedNotATarFailure()
    {
        var tar = Path.Combine(_dir, "cut.tar");
        var data = new byte[4 << 20];
        new Random(3).NextBytes(data);
        using (var w = new TarWriter(File.Create(tar), TarEntryFormat.Pax, leaveOpen: false))
        {
            w.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "./") { Mode = (UnixFileMode)0b111_101_101 });
            w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "./big") { DataStream = new MemoryStream(data) });
        }

        FixtureRoot.Run("xz", "-T2", "--block-size=1MiB", "-0", tar);
        using (var f = new FileStream(tar + ".xz", FileMode.Open))
        {
            f.SetLength(f.Length / 2);
        }

        var root = Path.Combine(_dir, "cut");
        Directory.CreateDirectory(root);
        var ex = await Assert.ThrowsAsync<GentooImageException>(() => new Stage3Extractor().ExtractAsync(tar + ".xz", root, OperationContext.None));
        Assert.Contains(ex.Kind, new[] { ErrorKind.UnsafeArchiveEntry, ErrorKind.ToolFailed });
        Assert.DoesNotContain("Check free space", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("./usr//bin/./x", "usr/bin/x")]
    [InlineData("./", "")]
    [InlineData("etc/", "etc")]
    public void NamesAreNormalized(string name, string expected) => Assert.Equal(expected, ArchiveEntryGuard.Normalize(name));

    [Fact]
    public void NonStage3EntryTypesAreRefused()
    {
        var guard = new ArchiveEntryGuard();
        var sparse = new PaxTarEntry(TarEntryType.RegularFile, "./sparse", new Dictionary<string, string> { ["GNU.sparse.major"] = "1", ["GNU.sparse.name"] = "../x" });
        var ex = Assert.Throws<GentooImageException>(() => guard.Check(sparse));
        Assert.Equal(ErrorKind.UnsafeArchiveEntry, ex.Kind);
        Assert.Equal("./sparse", ex.Target);
    }
}
