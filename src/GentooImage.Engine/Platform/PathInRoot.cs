namespace GentooImage.Engine.Platform;

/// <summary>
/// Resolves paths the way the kernel would for a process chrooted into a root: an absolute
/// symlink target restarts at the root, ".." never climbs above it. The result is a host path
/// without symlinks (as they are now) that is lexically inside the root.
/// </summary>
internal static class PathInRoot
{
    private const int MaxSymlinks = 40;

    /// <summary>The canonical host path of <paramref name="path"/> (like realpath(3), but missing tail components are kept).</summary>
    internal static string RealPath(string path) => Resolve("/", path);

    /// <summary>
    /// The host path that <paramref name="pathInRoot"/> names for a process chrooted into
    /// <paramref name="root"/> (which must already be canonical). Components that do not exist are kept as they are.
    /// </summary>
    /// <param name="root">The canonical host path of the root.</param>
    /// <param name="pathInRoot">The path as a process chrooted into the root names it.</param>
    /// <param name="followLast">Follow a symlink in the last component too (false: the path to write a link or file at).</param>
    /// <param name="loopKind">The error kind for a symlink loop, named for the caller's stage.</param>
    internal static string Resolve(string root, string pathInRoot, bool followLast = true, ErrorKind loopKind = ErrorKind.UnsafeMountPoint)
    {
        root = root.Length > 1 ? root.TrimEnd('/') : root;
        var pending = new LinkedList<string>(Split(pathInRoot));
        var resolved = new List<string>();
        var hops = 0;
        while (pending.First is { } node)
        {
            var c = node.Value;
            pending.RemoveFirst();
            if (c is "" or ".")
            {
                continue;
            }

            if (c == "..")
            {
                if (resolved.Count > 0)
                {
                    resolved.RemoveAt(resolved.Count - 1);
                }

                continue;
            }

            var candidate = Join(root, resolved.Append(c));
            string? target = null;
            try
            {
                target = followLast || pending.First is not null ? new FileInfo(candidate).LinkTarget : null;
            }
            catch (IOException)
            {
                // A component that is not a directory: leave it to the caller's checks.
            }

            if (target is null)
            {
                resolved.Add(c);
                continue;
            }

            if (++hops > MaxSymlinks)
            {
                throw new GentooImageException(
                    loopKind,
                    $"Too many levels of symbolic links resolving '{pathInRoot}' inside '{root}'. Fix the symlinks in the root.",
                    candidate);
            }

            if (target.StartsWith('/'))
            {
                resolved.Clear();
            }

            var parts = Split(target);
            for (var i = parts.Length - 1; i >= 0; i--)
            {
                pending.AddFirst(parts[i]);
            }
        }

        return Join(root, resolved);
    }

    /// <summary>
    /// The text of the regular file at <paramref name="pathInRoot"/>, every symlink resolved inside
    /// <paramref name="root"/> (so /etc/fstab -> /etc/fstab.host is the root's, never the host's), or
    /// null when there is none.
    /// </summary>
    internal static string? ReadText(string root, string pathInRoot, ErrorKind loopKind)
    {
        var host = Resolve(root, pathInRoot, followLast: true, loopKind);
        return FileIdentity.TypeOf(host, follow: false) == LibC.S_IFREG ? File.ReadAllText(host) : null;
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="dir"/> or below it (both canonical).</summary>
    internal static bool IsAtOrBelow(string path, string dir) =>
        path == dir || path.StartsWith(dir == "/" ? "/" : dir + "/", StringComparison.Ordinal);

    private static string[] Split(string p) => p.Split('/', StringSplitOptions.RemoveEmptyEntries);

    private static string Join(string root, IEnumerable<string> parts)
    {
        var rest = string.Join('/', parts);
        if (rest.Length == 0)
        {
            return root;
        }

        return root == "/" ? "/" + rest : root + "/" + rest;
    }
}
