using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Stage3;

/// <summary>
/// The directory a stage3 goes into: whether it may be used (<see cref="CheckTarget"/>), and emptying
/// it without following symlinks, refusing while anything is mounted below it. When the root is a
/// mount point of its own, its top-level <c>lost+found</c> (mkfs made it, e2fsck needs it) is kept
/// and does not count as content.
/// </summary>
internal static class RootDirectory
{
    /// <summary>
    /// Refuses a root that is a file, has mounts below it, or is not empty without -Force (or with
    /// -Force, is not empty and has no GentooImage state file).
    /// </summary>
    public static void CheckTarget(string path, bool force)
    {
        if (File.Exists(path))
        {
            throw new GentooImageException(ErrorKind.RootNotEmpty, $"'{path}' is a file, not a directory. Choose another -Path.", path);
        }

        if (!Directory.Exists(path))
        {
            return;
        }

        // The handbook's layout: the root may be a file system of its own (/mnt/gentoo on a
        // partition); only mounts below it are in the way.
        if (MountsBelow(path).Count > 0)
        {
            throw new GentooImageException(ErrorKind.BuildRootBusy,
                $"File systems are mounted below '{path}'. Unmount them (Dismount-BuildFilesystems) before extracting a stage3 there.", path);
        }

        // A killed run's staging directory is not content: the run's sweep removes it.
        var hasContent = Entries(path).Any(e => !IsKilledRunsStaging(e.Name));
        // -Force replaces only what New-Stage3Root made (its state file says so): a stage3 layout
        // alone is what every Linux root file system has (os-release and an init), so the wrong
        // partition mounted at /mnt/gentoo, or a container's root, is never emptied.
        if (force && hasContent && !BuildRootGuard.HasState(PathInRoot.RealPath(path)))
        {
            throw new GentooImageException(ErrorKind.RootNotEmpty,
                $"The directory '{path}' is not empty and was not made by New-Stage3Root (it has no GentooImage state file, {BuildRootStore.StateFileInRoot}), so -Force will not empty it: " +
                "it may be another system's root file system. Choose an empty or new directory; if its content really is disposable, empty it yourself first.", path);
        }

        if (!force && hasContent)
        {
            throw new GentooImageException(ErrorKind.RootNotEmpty,
                IsIncomplete(path)
                    ? $"The directory '{path}' holds an incomplete root: an earlier New-Stage3Root into it did not finish. Use -Force to replace it with the stage3."
                    : $"The directory '{path}' is not empty. Choose an empty or new directory, or use -Force to replace its content with the stage3.",
                path);
        }
    }

    /// <summary>
    /// Removes the root's content except the paths in <paramref name="keep"/> (full paths inside the
    /// root; the directories leading to them stay, their other entries go).
    /// </summary>
    public static void Clear(string root, params string[] keep)
    {
        if (MountsBelow(root).Count > 0)
        {
            throw new GentooImageException(ErrorKind.BuildRootBusy,
                $"File systems are mounted below '{root}'; it was not emptied. Unmount them first.", root);
        }

        foreach (var entry in Entries(root))
        {
            Remove(entry, keep);
        }
    }

    /// <summary>
    /// Whether the root's file system has room for <paramref name="bytes"/> more (plus 10% and 256 MiB
    /// for blocks and inodes); false when <paramref name="bytes"/> is unknown (negative).
    /// </summary>
    public static bool HasRoomFor(string root, long bytes) =>
        bytes >= 0 && new DriveInfo(root).AvailableFreeSpace >= bytes + (bytes / 10) + (256L << 20);

    /// <summary>Mounts strictly below <paramref name="root"/> (the root's own mount is not one).</summary>
    public static IReadOnlyList<MountEntry> MountsBelow(string root)
    {
        var real = PathInRoot.RealPath(root).TrimEnd('/');
        return MountTable.Below(MountTable.Read(), real).Where(m => m.MountPoint != real).ToList();
    }

    /// <summary>The root's entries, without the lost+found of a root that is its own mount point.</summary>
    public static IEnumerable<FileSystemInfo> Entries(string root)
    {
        var real = PathInRoot.RealPath(root).TrimEnd('/');
        var ownMount = MountTable.Read().Any(m => m.MountPoint == real);
        return new DirectoryInfo(root).EnumerateFileSystemInfos()
            .Where(e => !(ownMount && e.Name == "lost+found" && e is DirectoryInfo && e.LinkTarget is null));
    }

    private static bool IsKilledRunsStaging(string name) =>
        name.StartsWith(Leftovers.StagingPrefix, StringComparison.Ordinal)
        && OwnerTag.TryParse(name, out var pid, out var start)
        && !OwnerTag.IsAlive(pid, start);

    private static bool IsIncomplete(string path)
    {
        try
        {
            return BuildRootStore.Load(path).State == BuildRootState.Incomplete;
        }
        catch (GentooImageException)
        {
            return false;
        }
    }

    private static void Remove(FileSystemInfo entry, string[] keep)
    {
        var full = entry.FullName;
        if (keep.Contains(full, StringComparer.Ordinal))
        {
            return;
        }

        if (entry is DirectoryInfo dir && entry.LinkTarget is null)
        {
            foreach (var child in dir.EnumerateFileSystemInfos())
            {
                Remove(child, keep);
            }

            if (!keep.Any(k => k.StartsWith(full + "/", StringComparison.Ordinal)))
            {
                dir.Delete();
            }
        }
        else
        {
            File.Delete(full); // symlinks (to files or directories), files, devices, FIFOs
        }
    }
}
