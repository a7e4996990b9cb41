using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Image;

/// <summary>What a scan of a root found.</summary>
internal sealed record RootScan(long UsedBytes, long Entries, IReadOnlyList<string> Excluded, bool DevIsMounted, bool HasMountsBelow);

/// <summary>
/// Decides which of a root's files go into an image and lays them out as a staging tree for
/// <c>mkfs.ext4 -d</c>: directories are created with the root's owners, modes, xattrs and times,
/// everything else is hard-linked (no data is copied, so it takes seconds for a whole root). The
/// contents of pseudo file systems and of anything mounted below the root never go in, mounted or not.
/// </summary>
internal static class RootTree
{
    /// <summary>Directories whose contents never go into an image (the directory itself does).</summary>
    public static readonly string[] ContentsExcluded = { "/proc", "/sys", "/run", "/var/tmp/portage" };

    /// <summary>What the module itself leaves in a root: never in an image.</summary>
    public static readonly string[] FullyExcluded = { "/var/lib/gentooimage", "/var/log/gentooimage" };

    public const string StagingPrefix = Leftovers.StagingPrefix;

    public static bool IsFullyExcluded(string rel) =>
        FullyExcluded.Contains(rel, StringComparer.Ordinal)
        || (rel.StartsWith("/var/tmp/gentooimage-", StringComparison.Ordinal) && rel.IndexOf('/', 9) < 0)
        || (rel.StartsWith("/" + StagingPrefix, StringComparison.Ordinal) && rel.IndexOf('/', 1) < 0);

    /// <summary>Mount points strictly below <paramref name="root"/>, as paths inside the root.</summary>
    public static HashSet<string> MountPointsBelow(string root)
    {
        var prefix = root.TrimEnd('/');
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var m in MountTable.Read())
        {
            if (m.MountPoint.StartsWith(prefix + "/", StringComparison.Ordinal))
            {
                set.Add(m.MountPoint[prefix.Length..]);
            }
        }

        return set;
    }

    public static RootScan Scan(string root, OperationContext ctx)
    {
        var mounts = MountPointsBelow(root);
        var rootStat = FileCalls.LStat(root);
        long used = 4096, entries = 0;
        var seen = new HashSet<(ulong, ulong)>();
        var excluded = new List<string>();
        var mounted = new List<string>();
        Walk(root, string.Empty, rootStat.Dev, mounts, excluded, mounted, ctx, (host, rel, st) =>
        {
            entries++;
            if (st.IsDirectory)
            {
                used += Math.Max(4096, st.Blocks * 512);
            }
            else if (st.NLink <= 1 || seen.Add((st.Dev, st.Ino)))
            {
                used += st.Blocks * 512;
            }

            return true;
        });
        return new RootScan(used, entries, excluded, mounts.Contains("/dev") || IsOtherDevice(root, "/dev", rootStat.Dev), mounted.Count > 0 || mounts.Count > 0);
    }

    /// <summary>
    /// Builds the staging tree at <paramref name="staging"/> (which must not exist and must be on the
    /// root's file system). Paths in <paramref name="replaced"/> are left out; the caller writes them.
    /// </summary>
    public static void Stage(string root, string staging, ISet<string> replaced, OperationContext ctx)
    {
        var mounts = MountPointsBelow(root);
        var rootStat = FileCalls.LStat(root);
        FileCalls.Mkdir(staging, 0x1C0);
        var dirs = new List<(string From, FileStat St, string To)> { (root, rootStat, staging) };
        long n = 0;
        Walk(root, string.Empty, rootStat.Dev, mounts, new List<string>(), new List<string>(), ctx, (host, rel, st) =>
        {
            var target = staging + rel;
            if (st.IsDirectory)
            {
                FileCalls.Mkdir(target, 0x1C0);
                dirs.Add((host, st, target));
                return true;
            }

            if (replaced.Contains(rel))
            {
                return false;
            }

            var err = FileCalls.Link(host, target);
            if (err != 0)
            {
                throw new GentooImageException(
                    ErrorKind.ImageBuildFailed,
                    $"Cannot hard-link '{host}' into the staging tree '{staging}': {LibC.StrError(err)}. The staging tree must be on the root's file system; check that it is writable.",
                    host);
            }

            if (++n % 5000 == 0)
            {
                ctx.Report(new ProgressReport("Staging the root", rel, -1, 1));
            }

            return true;
        });

        // A mounted /dev hides the root's static nodes: give the image the two the kernel and init need.
        if (mounts.Contains("/dev") || IsOtherDevice(root, "/dev", rootStat.Dev))
        {
            if (!File.Exists(staging + "/dev/console"))
            {
                FileCalls.Mknod(staging + "/dev/console", LibC.S_IFCHR | 0x180, (5UL << 8) | 1);
            }

            if (!File.Exists(staging + "/dev/null"))
            {
                FileCalls.Mknod(staging + "/dev/null", LibC.S_IFCHR | 0x1B6, (1UL << 8) | 3);
                FileCalls.Chmod(staging + "/dev/null", 0x1B6);
            }
        }

        // Metadata last and deepest first, so creating children does not change a parent's times.
        for (var i = dirs.Count - 1; i >= 0; i--)
        {
            FileCalls.CopyMetadata(dirs[i].From, dirs[i].St, dirs[i].To);
        }
    }

    /// <summary>
    /// What mkfs.ext4 -d would copy from the excluded paths of an unmounted root: every entry below
    /// them, deepest first (the order to delete them in), and the bytes they hold.
    /// </summary>
    public static (List<(string Rel, bool IsDir)> Entries, long Bytes) ExcludedEntries(string root, IEnumerable<string> excluded)
    {
        var list = new List<(string, bool)>();
        long bytes = 0;
        void Visit(string rel, bool self)
        {
            if (!FileCalls.TryLStat(root + rel, out var st))
            {
                return;
            }

            if (st.IsDirectory)
            {
                foreach (var child in Directory.EnumerateFileSystemEntries(root + rel))
                {
                    Visit(rel + "/" + Path.GetFileName(child), true);
                }
            }
            else
            {
                bytes += st.Blocks * 512;
            }

            if (self)
            {
                list.Add((rel, st.IsDirectory));
            }
        }

        foreach (var e in excluded)
        {
            if (e.EndsWith("/*", StringComparison.Ordinal))
            {
                Visit(e[..^2], false);
            }
            else
            {
                Visit(e, true);
            }
        }

        return (list, bytes);
    }

    private static bool IsOtherDevice(string root, string rel, ulong rootDev) =>
        FileCalls.TryLStat(root + rel, out var st) && st.IsDirectory && st.Dev != rootDev;

    /// <summary>Pre-order walk. <paramref name="visit"/> sees every entry that goes into the image.</summary>
    private static void Walk(string root, string rel, ulong rootDev, HashSet<string> mounts, List<string> excluded, List<string> mounted, OperationContext ctx, Func<string, string, FileStat, bool> visit)
    {
        var count = 0;
        var stack = new Stack<string>();
        stack.Push(rel);
        while (stack.Count > 0)
        {
            var dirRel = stack.Pop();
            IEnumerable<string> names;
            try
            {
                names = Directory.EnumerateFileSystemEntries(root + dirRel).Select(Path.GetFileName).ToList()!;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new GentooImageException(ErrorKind.ImageBuildFailed, $"Cannot read the directory '{root + dirRel}': {ex.Message}", root + dirRel, ex);
            }

            foreach (var name in names)
            {
                if (++count % 1000 == 0)
                {
                    ctx.ThrowIfCancelled("reading the root");
                }

                var childRel = dirRel + "/" + name;
                var host = root + childRel;
                if (IsFullyExcluded(childRel))
                {
                    excluded.Add(childRel);
                    continue;
                }

                if (!FileCalls.TryLStat(host, out var st))
                {
                    continue; // vanished while we looked
                }

                if (!st.IsDirectory && st.Dev != rootDev)
                {
                    excluded.Add(childRel); // a file bind-mounted over the root's own one
                    mounted.Add(childRel);
                    continue;
                }

                if (!visit(host, childRel, st) || !st.IsDirectory)
                {
                    continue;
                }

                if (st.Dev != rootDev || mounts.Contains(childRel))
                {
                    mounted.Add(childRel);
                }

                if (RootTree.ContentsExcluded.Contains(childRel, StringComparer.Ordinal) || st.Dev != rootDev || mounts.Contains(childRel))
                {
                    excluded.Add(childRel + "/*");
                    continue;
                }

                stack.Push(childRel);
            }
        }
    }
}
