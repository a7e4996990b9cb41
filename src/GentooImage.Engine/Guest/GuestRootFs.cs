using System.Reflection;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Guest;

/// <summary>
/// Reads a guest root the way the guest would see it: symbolic links (absolute or relative) are
/// resolved inside the root, never on the host, so a link such as /etc/localtime -> /usr/share/...
/// cannot make the module read or write a host file.
/// </summary>
internal sealed class GuestRootFs
{
    /// <param name="root">The canonical host path of the root (symlinks resolved), as <see cref="PathInRoot.Resolve"/> requires.</param>
    public GuestRootFs(string root)
    {
        Root = root.TrimEnd('/');
        if (Root.Length == 0)
        {
            Root = "/";
        }
    }

    public string Root { get; }

    /// <summary>The host path of <paramref name="pathInRoot"/> with every symlink resolved inside the root (the last one too when <paramref name="followLast"/>).</summary>
    public string Resolve(string pathInRoot, bool followLast = true) =>
        PathInRoot.Resolve(Root, pathInRoot, followLast, ErrorKind.GuestConfigFailed);

    /// <summary>The resolved path inside the root ("/usr/lib/systemd/systemd").</summary>
    public string ResolveInRoot(string pathInRoot)
    {
        var host = Resolve(pathInRoot);
        return Root == "/" ? host : (host.Length == Root.Length ? "/" : host[Root.Length..]);
    }

    /// <summary>The host path for writing <paramref name="pathInRoot"/>: parents resolved, the last component not followed.</summary>
    public string ForWrite(string pathInRoot) => Resolve(pathInRoot, followLast: false);

    /// <summary>
    /// The host path of a change to <paramref name="pathInRoot"/> (a write, link, removal or
    /// truncation): resolved inside the root, and refused when it lands at or below a file system
    /// mounted below the root. While the root is mounted its /proc, /sys, /dev and /run are the
    /// host's (and a cache bind is a host directory), so a link such as /var/run -> /run (Gentoo
    /// has it), /var/log -> /run/log or /etc/x -> /dev/shm/x must not carry a change out of the root.
    /// </summary>
    public string ForChange(string pathInRoot, bool followLast)
    {
        var host = Resolve(pathInRoot, followLast);
        var mount = MountTable.Below(MountTable.Read(), Root)
            .Where(m => m.MountPoint != Root && PathInRoot.IsAtOrBelow(host, m.MountPoint))
            .OrderByDescending(m => m.MountPoint.Length)
            .FirstOrDefault();
        if (mount is not null)
        {
            var inRoot = mount.MountPoint[Root.TrimEnd('/').Length..];
            throw new GentooImageException(
                ErrorKind.GuestConfigFailed,
                $"'{pathInRoot}' in the root resolves to '{host}', inside {inRoot}, where a file system is mounted ({mount.FileSystemType} from {mount.Source}): changing it would change files outside the root. Run Dismount-BuildFilesystems first, or fix the root's symlinks.",
                host);
        }

        return host;
    }

    public bool FileExists(string pathInRoot) => File.Exists(Resolve(pathInRoot));

    public bool DirectoryExists(string pathInRoot) => Directory.Exists(Resolve(pathInRoot));

    public bool Exists(string pathInRoot) => FileExists(pathInRoot) || DirectoryExists(pathInRoot);

    /// <summary>True when the path itself (not followed) exists as anything, a dangling link included.</summary>
    public bool EntryExists(string pathInRoot)
    {
        var p = ForWrite(pathInRoot);
        return File.Exists(p) || Directory.Exists(p) || IsLink(p);
    }

    /// <summary>The target of the link at <paramref name="pathInRoot"/> (not followed), or null when it is not a link.</summary>
    public string? LinkTarget(string pathInRoot)
    {
        var p = ForWrite(pathInRoot);
        return IsLink(p) ? new FileInfo(p).LinkTarget : null;
    }

    public string? ReadText(string pathInRoot)
    {
        var p = Resolve(pathInRoot);
        return File.Exists(p) ? File.ReadAllText(p) : null;
    }

    /// <summary>Entries of a directory in the root (names only), or none.</summary>
    public IEnumerable<string> List(string dirInRoot)
    {
        var p = Resolve(dirInRoot);
        return Directory.Exists(p)
            ? Directory.EnumerateFileSystemEntries(p).Select(System.IO.Path.GetFileName).OfType<string>().OrderBy(n => n, StringComparer.Ordinal)
            : Enumerable.Empty<string>();
    }

    /// <summary>The first of <paramref name="candidates"/> that exists in the root as a file.</summary>
    public string? FirstFile(params string[] candidates) => candidates.FirstOrDefault(FileExists);

    public static bool IsLink(string hostPath)
    {
        try
        {
            return (File.GetAttributes(hostPath) & FileAttributes.ReparsePoint) != 0;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }
    }

    /// <summary>The text of a script shipped in the engine (Guest/Scripts/<paramref name="name"/>).</summary>
    public static string Script(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("GentooImage.Engine.Guest.Scripts." + name)
            ?? throw new InvalidOperationException($"The engine has no embedded script '{name}'.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
