namespace GentooImage.Engine.Platform;

/// <summary>
/// The host-safety rules for every path a user gives the module: build roots, cache directories,
/// output files (images, logs) and kernel configs. Each check canonicalises the path first
/// (symlinks resolved, so a link to <c>/</c> is <c>/</c>) and returns the canonical path, or throws
/// with a stable kind and a message that says why and what to use instead. Nothing is written here.
/// </summary>
/// <remarks>
/// The rules (the README lists them as "What GentooImage will never do to your host"):
/// <list type="bullet">
/// <item>Never the host's <c>/</c>, nor a directory the running system lives in
/// (<see cref="SystemDirectories"/>) or anything below one, except the scratch places meant for
/// this work (<c>/var/tmp/&lt;x&gt;</c>; for caches also <c>/var/cache/&lt;x&gt;</c>; for image
/// files also <c>/var/lib/libvirt/images</c>) and paths on a file system of their own mounted
/// below <c>/var</c> or <c>/usr</c> (a data disk, not a system file system or a bind of one).</item>
/// <item>Never a top-level home of data (<see cref="DataHomes"/>) itself; below them is fine.</item>
/// <item>Never a directory that is the same directory as one of the above reached another way
/// (a bind mount of <c>/</c> or <c>/etc</c>).</item>
/// </list>
/// The checks that need more than the path live beside it: <see cref="DataDiskMounts"/> (a data
/// disk below /var or /usr), <see cref="SystemDirectoryAliases"/> (a system directory reached through
/// a bind mount), <see cref="NestedBuildRoots"/> (roots below a proposed root) and
/// <see cref="KernelConfigContent"/> (a file's content is a .config).
/// </remarks>
public static class HostPathPolicy
{
    /// <summary>Where the running system lives: refused, with everything below them.</summary>
    public static IReadOnlyList<string> SystemDirectories { get; } = new[]
    {
        "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/run", "/sbin", "/sys", "/usr", "/var",
    };

    /// <summary>Top-level homes of data: refused themselves, allowed below.</summary>
    public static IReadOnlyList<string> DataHomes { get; } = new[]
    {
        "/home", "/root", "/opt", "/srv", "/mnt", "/media", "/tmp",
    };

    /// <summary>Below these (strictly) a directory is allowed: the scratch places meant for this work.</summary>
    private static readonly string[] s_rootScratch = { "/var/tmp" };

    /// <summary>Below these (strictly) a cache directory is allowed.</summary>
    private static readonly string[] s_cacheScratch = { "/var/tmp", "/var/cache" };

    /// <summary>In or below these an image file may be written.</summary>
    private static readonly string[] s_imageDirectories = { "/var/tmp", "/var/lib/libvirt/images" };

    /// <summary>In or below these a log file may be written.</summary>
    private static readonly string[] s_logDirectories = { "/var/tmp", "/var/log" };

    /// <summary>
    /// Checks a build root directory (existing or to be created). Returns its canonical path.
    /// Also refuses a directory above another build root (given by <paramref name="isBuildRoot"/>,
    /// looked for among the mounts below it and a few levels down; <paramref name="evidenceFiles"/>,
    /// paths inside a root of which every build root has at least one, narrow the search cheaply
    /// before <paramref name="isBuildRoot"/> is asked). <see cref="Model.BuildRootGuard"/> passes both.
    /// </summary>
    public static string CheckBuildRoot(string path, string parameterName, Func<string, bool>? isBuildRoot = null, IReadOnlyList<string>? evidenceFiles = null)
    {
        var canonical = Canonical(path, parameterName, ErrorKind.UnsafeRootPath);
        var mounts = MountTable.Read();
        var why = WhyUnsafe(canonical, HostPathUse.BuildRoot, mounts) ?? SystemDirectoryAliases.WhyAlias(canonical) ?? WhyHome(canonical);
        if (why is null && isBuildRoot is not null)
        {
            var other = NestedBuildRoots.FindBelow(canonical, mounts, isBuildRoot, evidenceFiles);
            if (other is not null)
            {
                why = $"it holds another build root, '{other}'";
            }
        }

        if (why is not null)
        {
            throw new GentooImageException(
                ErrorKind.UnsafeRootPath,
                $"{Describe(parameterName, path, canonical)} cannot be a build root: {why}. Nothing was changed. " +
                "Use a dedicated directory such as /mnt/gentoo, /var/tmp/gentoo or /srv/build/gentoo.",
                canonical);
        }

        return canonical;
    }

    /// <summary>Checks a host directory the module writes caches to or binds into a root. Returns its canonical path.</summary>
    public static string CheckCacheDirectory(string path, string parameterName)
    {
        var canonical = Canonical(path, parameterName, ErrorKind.UnsafeCachePath);
        var why = WhyUnsafe(canonical, HostPathUse.Cache, MountTable.Read()) ?? SystemDirectoryAliases.WhyAlias(canonical);
        if (why is null && File.Exists(canonical))
        {
            why = "it is a file, not a directory";
        }

        if (why is not null)
        {
            throw new GentooImageException(
                ErrorKind.UnsafeCachePath,
                $"{Describe(parameterName, path, canonical)} cannot be a cache directory: {why}. Nothing was changed. " +
                "Use a directory of its own, such as /var/cache/distfiles-gentoo, /var/tmp/gentoo-cache or ~/.cache/gentooimage.",
                canonical);
        }

        return canonical;
    }

    /// <summary>
    /// Checks a file the module writes (an image or a log). It must be a new name or an existing
    /// regular file (never a device node, directory, FIFO or socket, even with -Force), in a
    /// directory that is not a system directory. An existing file is refused unless
    /// <paramref name="mayReplace"/>. Returns the canonical path.
    /// </summary>
    public static string CheckOutputFile(string path, string parameterName, HostPathUse use, bool mayReplace, string replaceHint)
    {
        var canonical = Canonical(path, parameterName, ErrorKind.UnsafeOutputPath);
        string? why = null;
        var dir = System.IO.Path.GetDirectoryName(canonical) ?? "/";
        var kind = FileKind(canonical);
        if (kind is not (null or "a regular file"))
        {
            why = $"it is {kind}; the module only writes regular files and never replaces a device node, even with -Force";
        }
        else
        {
            why = WhyUnsafe(dir, use, MountTable.Read()) is { } d ? $"its directory '{dir}' is unsafe: {d}" : SystemDirectoryAliases.WhyAlias(dir);
        }

        if (why is null && kind is not null && !mayReplace)
        {
            throw new GentooImageException(
                ErrorKind.UnsafeOutputPath,
                $"{Describe(parameterName, path, canonical)} already exists. Nothing was changed. Choose a new name, or {replaceHint}.",
                canonical);
        }

        if (why is not null)
        {
            throw new GentooImageException(
                ErrorKind.UnsafeOutputPath,
                $"{Describe(parameterName, path, canonical)} cannot be written: {why}. Nothing was changed. " +
                "Write it to a directory of your own, such as /var/tmp/images or /srv/images.",
                canonical);
        }

        return canonical;
    }

    /// <summary>
    /// Checks that an existing host file is a Linux kernel configuration (<c>.config</c>): a regular
    /// file, outside the directories where a kernel config never lives, whose lines are all
    /// <c>CONFIG_X=...</c>, <c># CONFIG_X is not set</c>, comments or blank, with at least one symbol.
    /// </summary>
    public static string CheckKernelConfigFile(string path, string parameterName)
    {
        var canonical = Canonical(path, parameterName, ErrorKind.NotAKernelConfig);
        var kind = FileKind(canonical);
        string? why = kind switch
        {
            null or "a regular file" => null, // a new file is created by olddefconfig
            _ => $"it is {kind}",
        };
        if (why is null && WhyUnsafe(canonical, HostPathUse.KernelConfig, MountTable.Read()) is { } d)
        {
            why = d;
        }

        if (why is null && kind is not null)
        {
            why = KernelConfigContent.WhyNot(canonical);
        }
        if (why is not null)
        {
            throw new GentooImageException(
                ErrorKind.NotAKernelConfig,
                $"{Describe(parameterName, path, canonical)} is not a kernel configuration the module may edit: {why}. Nothing was changed. " +
                "Give the .config of a kernel tree (e.g. /usr/src/linux/.config), or a build root with -Path.",
                canonical);
        }

        return canonical;
    }

    /// <summary>
    /// Why <paramref name="canonical"/> is not an acceptable place for <paramref name="use"/>, or
    /// null when it is. Pure: decided from the path and the mount table alone.
    /// </summary>
    public static string? WhyUnsafe(string canonical, HostPathUse use, IReadOnlyList<MountEntry> mounts)
    {
        if (canonical == "/")
        {
            return "it is the host's root directory";
        }

        if (use == HostPathUse.KernelConfig)
        {
            // A kernel config lives in a kernel tree (/usr/src/linux*, /usr/local/src), a scratch
            // place or the user's own directories; in the directories the running system lives in,
            // only below /usr/src, /usr/local/src and /var/tmp (checked on the canonical path, so /sbin on a merged-/usr host
            // is /usr/sbin and refused too). The content check does the rest.
            var systemDir = SystemDirectories.FirstOrDefault(d => IsAtOrBelow(canonical, d));
            if (systemDir is null || IsBelow(canonical, "/usr/src") || IsBelow(canonical, "/usr/local/src") || IsBelow(canonical, "/var/tmp")
                || DataDiskMounts.Holding(canonical, mounts) is not null)
            {
                return null;
            }

            return $"it is in {systemDir}, a system directory (kernel configs are edited in /usr/src/linux-*, /usr/local/src, /var/tmp or a directory of your own)";
        }

        // For files, the directory they are written to is checked: /tmp or /home themselves are
        // fine places for a file, but never for a directory the module fills or empties.
        var isFileDirectory = use is HostPathUse.Image or HostPathUse.Log;
        if (!isFileDirectory && DataHomes.Contains(canonical, StringComparer.Ordinal))
        {
            return $"'{canonical}' is a top-level home of data; use a directory below it";
        }

        var system = SystemDirectories.FirstOrDefault(s => IsAtOrBelow(canonical, s));
        if (system is null)
        {
            return null;
        }

        var allowed = use switch
        {
            HostPathUse.Cache => s_cacheScratch.Any(s => IsBelow(canonical, s)),
            HostPathUse.Image => s_imageDirectories.Any(s => IsAtOrBelow(canonical, s)) || IsBelow(canonical, "/var/cache"),
            HostPathUse.Log => s_logDirectories.Any(s => IsAtOrBelow(canonical, s)),
            _ => s_rootScratch.Any(s => IsBelow(canonical, s)),
        };
        if (allowed)
        {
            return null;
        }

        if (DataDiskMounts.Holding(canonical, mounts) is not null)
        {
            return null;
        }

        return canonical == system
            ? $"'{system}' is a directory the running system lives in"
            : $"it is inside '{system}', where the running system lives";
    }

    /// <summary>The user's home directory itself is never a build root (below it is fine).</summary>
    private static string? WhyHome(string canonical)
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return home.Length > 1 && PathInRoot.RealPath(home).TrimEnd('/') == canonical ? "it is your home directory" : null;
    }

    /// <summary>Refuses control characters (newline, tab, escape ...) in a value that ends up in a generated file.</summary>
    public static void CheckText(string? value, string parameterName)
    {
        if (value is null)
        {
            return;
        }

        var bad = value.FirstOrDefault(char.IsControl);
        if (bad != default || value.Contains('\0'))
        {
            throw new GentooImageException(
                ErrorKind.InvalidArgument,
                $"-{parameterName} contains the control character U+{(int)bad:X4}; it would end up in a generated file. Give the value on one line without control characters.",
                value);
        }
    }

    /// <summary>What is at a path, described for a message ("a regular file", "a block device"), or null when nothing is.</summary>
    public static string? FileKind(string path) => FileIdentity.TypeOf(path) switch
    {
        0 => FileIdentity.TypeOf(path, follow: false) == LibC.S_IFLNK ? "a dangling symbolic link" : null,
        LibC.S_IFREG => "a regular file",
        LibC.S_IFDIR => "a directory",
        LibC.S_IFBLK => "a block device",
        LibC.S_IFCHR => "a character device",
        LibC.S_IFIFO => "a FIFO",
        LibC.S_IFSOCK => "a socket",
        _ => "not a regular file",
    };

    /// <summary>
    /// The one canonicaliser of a path given by the user: it must be absolute (never relative to the
    /// process's directory, which is not PowerShell's location) and free of control characters
    /// (<see cref="CheckText"/>); symlinks are resolved. Failures are of <paramref name="kind"/>.
    /// </summary>
    internal static string Canonical(string path, string parameterName, ErrorKind kind)
    {
        if (string.IsNullOrEmpty(path) || !System.IO.Path.IsPathRooted(path))
        {
            throw new GentooImageException(kind, $"-{parameterName} '{path}' must be an absolute path.", path);
        }

        CheckText(path, parameterName);
        return PathInRoot.RealPath(path);
    }

    private static string Describe(string parameterName, string given, string canonical) =>
        string.Equals(given.TrimEnd('/'), canonical, StringComparison.Ordinal) || (given == "/" && canonical == "/")
            ? $"-{parameterName} '{canonical}'"
            : $"-{parameterName} '{given}' (which is '{canonical}')";

    internal static bool IsAtOrBelow(string path, string dir) =>
        dir == "/" || path == dir || path.StartsWith(dir + "/", StringComparison.Ordinal);

    internal static bool IsBelow(string path, string dir) =>
        path.StartsWith(dir.TrimEnd('/') + "/", StringComparison.Ordinal) && path.Length > dir.Length + 1;
}
