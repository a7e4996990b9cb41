using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Kernel;

/// <summary>
/// Finds the kernel source tree to configure: the one given inside the root, else /usr/src/linux,
/// else the newest /usr/src/linux-*; and reads what the module needs from it (its version, whether
/// the root can run kconfig itself).
/// </summary>
internal static class KernelSourceTree
{
    /// <summary>The host path of the kernel tree to configure: <paramref name="kernelSource"/> inside the root (<paramref name="rootPath"/>: its canonical host path), else /usr/src/linux, else the newest /usr/src/linux-*.</summary>
    public static string Find(string rootPath, string? kernelSource)
    {
        string host;
        if (kernelSource is { Length: > 0 })
        {
            host = ResolveInRoot(rootPath, kernelSource);
            if (!IsTree(host))
            {
                throw new GentooImageException(
                    ErrorKind.KernelSourceNotFound,
                    $"-KernelSource '{kernelSource}' is not a kernel tree inside the root ({host} has no Kconfig and Makefile). Give a path inside the root such as /usr/src/linux-6.1.0-gentoo.",
                    host);
            }

            return host;
        }

        // Every candidate is resolved inside the root, as the chroot sees it: a root whose
        // /usr/src/linux-6.6 is a link to the host's /usr/src/linux-6.6 names its own (missing) tree.
        host = ResolveInRoot(rootPath, "/usr/src/linux");
        if (IsTree(host))
        {
            return host;
        }

        var src = ResolveInRoot(rootPath, "/usr/src");
        var newest = Directory.Exists(src)
            ? Directory.EnumerateFileSystemEntries(src, "linux-*")
                .Select(e => ResolveInRoot(rootPath, "/usr/src/" + Path.GetFileName(e)))
                .Where(IsTree)
                .OrderByDescending(d => VersionKey(Path.GetFileName(d)), StringComparer.Ordinal)
                .FirstOrDefault()
            : null;
        return newest ?? throw new GentooImageException(
            ErrorKind.KernelSourceNotFound,
            $"No kernel tree in {src} (neither /usr/src/linux nor /usr/src/linux-*). Emerge sys-kernel/gentoo-sources in the chroot, pass -KernelSource, or use -DistKernel for a distribution kernel.",
            src);
    }

    /// <summary>A host path for a path inside the root (<paramref name="rootPath"/>: its canonical host path), following symlinks as the chroot would see them.</summary>
    public static string ResolveInRoot(string rootPath, string pathInRoot) =>
        PathInRoot.Resolve(rootPath, pathInRoot, loopKind: ErrorKind.KernelSourceNotFound);

    private static string VersionKey(string name) =>
        System.Text.RegularExpressions.Regex.Replace(name, @"\d+", m => m.Value.PadLeft(8, '0'));

    /// <summary>True when <paramref name="dir"/> has a Kconfig and a Makefile.</summary>
    public static bool IsTree(string dir) =>
        File.Exists(Path.Combine(dir, "Kconfig")) && File.Exists(Path.Combine(dir, "Makefile"));

    /// <summary>Refuses a -KernelSource on the host that is not a kernel tree.</summary>
    public static void Require(string tree, string given)
    {
        if (!IsTree(tree))
        {
            throw new GentooImageException(
                ErrorKind.KernelSourceNotFound,
                $"-KernelSource '{given}' is not a kernel tree ({tree} has no Kconfig and Makefile). Point it at an unpacked Linux source directory.",
                tree);
        }
    }

    /// <summary>True when the root has make and a C compiler, so kconfig can run inside its chroot.</summary>
    public static bool HasToolchain(string rootPath) =>
        File.Exists(Path.Join(rootPath, "usr/bin/make"))
        && (File.Exists(Path.Join(rootPath, "usr/bin/gcc")) || File.Exists(Path.Join(rootPath, "usr/bin/cc")));

    /// <summary>The tree's Linux version from its Makefile ("6.1.0"), or null.</summary>
    public static string? Version(string tree)
    {
        var makefile = Path.Combine(tree, "Makefile");
        if (!File.Exists(makefile))
        {
            return null;
        }

        var vars = new Dictionary<string, string>();
        foreach (var line in File.ReadLines(makefile).Take(20))
        {
            var m = System.Text.RegularExpressions.Regex.Match(line, @"^(VERSION|PATCHLEVEL|SUBLEVEL|EXTRAVERSION)\s*=\s*(.*)$");
            if (m.Success)
            {
                vars[m.Groups[1].Value] = m.Groups[2].Value.Trim();
            }
        }

        return vars.TryGetValue("VERSION", out var v)
            ? $"{v}.{vars.GetValueOrDefault("PATCHLEVEL", "0")}.{vars.GetValueOrDefault("SUBLEVEL", "0")}{vars.GetValueOrDefault("EXTRAVERSION", string.Empty)}"
            : null;
    }
}
