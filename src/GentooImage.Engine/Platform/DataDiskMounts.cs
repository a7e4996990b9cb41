namespace GentooImage.Engine.Platform;

/// <summary>
/// Tells a data disk mounted below /var or /usr (allowed for roots, caches and images) from the
/// system's own file systems and binds of them (never allowed).
/// </summary>
internal static class DataDiskMounts
{
    /// <summary>System directories below which a separately mounted data file system is allowed.</summary>
    private static readonly string[] s_dataMountParents = { "/var", "/usr" };

    /// <summary>File systems that are the kernel's or the system's, never a data disk.</summary>
    private static readonly HashSet<string> s_systemFsTypes = new(StringComparer.Ordinal)
    {
        "proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "securityfs", "debugfs", "tracefs", "bpf", "pstore",
        "efivarfs", "mqueue", "hugetlbfs", "configfs", "fusectl", "binfmt_misc", "autofs", "nsfs", "rpc_pipefs", "selinuxfs",
    };

    /// <summary>The mount point of a data file system (not a system one) below /var or /usr that holds <paramref name="canonical"/>, or null.</summary>
    public static string? Holding(string canonical, IReadOnlyList<MountEntry> mounts)
    {
        // The deepest mount that holds the path decides.
        var holder = mounts
            .Where(m => HostPathPolicy.IsAtOrBelow(canonical, m.MountPoint))
            .OrderByDescending(m => m.MountPoint.Length)
            .FirstOrDefault();
        if (holder is null || !s_dataMountParents.Any(p => HostPathPolicy.IsBelow(holder.MountPoint, p)))
        {
            return null;
        }

        if (s_systemFsTypes.Contains(holder.FileSystemType))
        {
            return null;
        }

        // A bind of a system file system (same device as /, /usr or /var) is not a data disk.
        var systemDevices = mounts
            .Where(m => m.MountPoint == "/" || HostPathPolicy.SystemDirectories.Contains(m.MountPoint, StringComparer.Ordinal))
            .Select(m => m.Device)
            .ToHashSet(StringComparer.Ordinal);
        return systemDevices.Contains(holder.Device) ? null : holder.MountPoint;
    }
}
