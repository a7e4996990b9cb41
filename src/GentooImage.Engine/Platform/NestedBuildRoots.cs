namespace GentooImage.Engine.Platform;

/// <summary>
/// Looks for another build root below a directory proposed as a build root (a parent of roots must
/// never be one): among the mounts below it, and a few levels down without following links.
/// </summary>
internal static class NestedBuildRoots
{
    /// <summary>
    /// Another build root below <paramref name="canonical"/> (among the mounts below it, and three
    /// levels down), or null. <paramref name="evidenceFiles"/> (the guard's, e.g. "/etc/os-release";
    /// null: ask <paramref name="isBuildRoot"/> of every directory) are looked at first, lstat only.
    /// </summary>
    public static string? FindBelow(string canonical, IReadOnlyList<MountEntry> mounts, Func<string, bool> isBuildRoot, IReadOnlyList<string>? evidenceFiles)
    {
        if (!Directory.Exists(canonical))
        {
            return null;
        }

        var prefix = canonical.TrimEnd('/') + "/";
        var mountPoints = mounts.Select(m => m.MountPoint).Where(m => m.StartsWith(prefix, StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);

        // Mounts of other sessions: a directory between the candidate and a mount that is a root.
        foreach (var m in mountPoints)
        {
            for (var d = System.IO.Path.GetDirectoryName(m); d is not null && d.Length > canonical.Length; d = System.IO.Path.GetDirectoryName(d))
            {
                if (isBuildRoot(d))
                {
                    return d;
                }
            }
        }

        // Roots at rest, a few levels down (not through symlinks or into mounts). A build root
        // itself is not searched: the danger is a parent directory of roots, which is none.
        if (isBuildRoot(canonical))
        {
            return null;
        }

        var visited = 0;
        var level = new List<string> { canonical };
        for (var depth = 1; depth <= 3 && level.Count > 0; depth++)
        {
            var next = new List<string>();
            foreach (var dir in level)
            {
                IEnumerable<DirectoryInfo> children;
                try
                {
                    children = new DirectoryInfo(dir).EnumerateDirectories().ToList();
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    continue;
                }

                foreach (var child in children)
                {
                    if (child.LinkTarget is not null || mountPoints.Contains(child.FullName) || ++visited > 20000)
                    {
                        continue;
                    }

                    if (MayBeRoot(child.FullName, evidenceFiles) && isBuildRoot(child.FullName))
                    {
                        return child.FullName;
                    }

                    next.Add(child.FullName);
                }
            }

            level = next;
        }

        return null;
    }

    /// <summary>A cheap first look (lstat only) before the in-root evidence check.</summary>
    private static bool MayBeRoot(string dir, IReadOnlyList<string>? evidenceFiles) =>
        evidenceFiles is null || evidenceFiles.Any(f => FileIdentity.TypeOf(System.IO.Path.Join(dir, f), follow: false) != 0);
}
