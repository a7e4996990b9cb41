using System.Text.RegularExpressions;

namespace GentooImage.Engine.Platform;

/// <summary>
/// Finds and removes what a killed run left: entries of one directory whose name matches a pattern
/// and carries an <see cref="OwnerTag"/> of a process that no longer runs, owned by this user.
/// Something whose owner still runs, or that another user made, is never touched; directories are removed without following symlinks and never
/// across a mount point.
/// </summary>
public static class Leftovers
{
    /// <summary>
    /// Staging trees: New-RawDiskImage's hard-link tree, beside the root (or inside it), and
    /// New-Stage3Root's hidden extraction directory inside the root.
    /// </summary>
    public const string StagingPrefix = ".gentooimage-stage-";

    /// <summary>Invoke-GentooChroot's script in the root's /var/tmp.</summary>
    public const string ChrootScriptPrefix = "gentooimage-";

    private static readonly Regex s_staging = PatternFor(StagingPrefix);
    private static readonly Regex s_chrootScript = PatternFor(ChrootScriptPrefix, ".sh");

    /// <summary>
    /// The names <see cref="OwnerTag.UniqueName"/> makes with <paramref name="prefix"/> and
    /// <paramref name="suffix"/> (both taken literally): what <see cref="Sweep"/> is given.
    /// </summary>
    public static Regex PatternFor(string prefix, string suffix = "") =>
        new("^" + Regex.Escape(prefix) + OwnerTag.Pattern + Regex.Escape(suffix) + "$", RegexOptions.CultureInvariant);

    /// <summary>
    /// Removes what killed runs left for one root: staging trees beside and inside it, and chroot
    /// scripts in its /var/tmp. Used by New-RawDiskImage, Invoke-GentooChroot and Dismount-BuildFilesystems.
    /// <paramref name="rootPath"/> is canonical (what BuildRootGuard.Demand returns); it is not resolved again.
    /// </summary>
    public static IReadOnlyList<string> SweepRoot(string rootPath, Action<string>? verbose)
    {
        var root = rootPath.TrimEnd('/');
        var removed = new List<string>();
        if (root.Length == 0 || !Directory.Exists(root))
        {
            return removed;
        }

        if (Path.GetDirectoryName(root) is { } parent)
        {
            removed.AddRange(Sweep(parent, s_staging, verbose));
        }

        removed.AddRange(Sweep(root, s_staging, verbose));
        var varTmp = PathInRoot.Resolve(root, "/var/tmp");
        if (varTmp != root && PathInRoot.IsAtOrBelow(varTmp, root))
        {
            removed.AddRange(Sweep(varTmp, s_chrootScript, verbose));
        }

        return removed;
    }

    /// <summary>
    /// Removes the matching leftovers in <paramref name="directory"/>; returns their paths. Each
    /// removal is reported through <paramref name="verbose"/>; one that fails is reported and skipped.
    /// </summary>
    public static IReadOnlyList<string> Sweep(string directory, Regex pattern, Action<string>? verbose, Action<string>? beforeRemove = null)
    {
        var removed = new List<string>();
        IEnumerable<string> entries;
        try
        {
            entries = Directory.EnumerateFileSystemEntries(directory).ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return removed;
        }

        foreach (var path in entries)
        {
            var name = Path.GetFileName(path);
            if (!pattern.IsMatch(name) || !OwnerTag.TryParse(name, out var pid, out var start) || OwnerTag.IsAlive(pid, start))
            {
                continue;
            }

            if (!IsOwnedByThisUser(path))
            {
                // A name of ours made by someone else (in /tmp anyone can): never removed, so no
                // other user can steer this run's removals (a tree whose directories they could
                // swap for symlinks while it is walked).
                verbose?.Invoke($"Left '{path}' alone: it looks like a leftover of process {pid}, but it is not owned by this user.");
                continue;
            }

            try
            {
                beforeRemove?.Invoke(path);
                Remove(path);
                removed.Add(path);
                verbose?.Invoke($"Removed '{path}', left by process {pid} which no longer runs (a killed or crashed earlier run).");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or GentooImageException)
            {
                verbose?.Invoke($"Could not remove '{path}', left by process {pid}: {ex.Message}");
            }
        }

        return removed;
    }

    /// <summary>Whether <paramref name="path"/> itself (not followed) belongs to the effective user.</summary>
    private static bool IsOwnedByThisUser(string path) =>
        LibC.TryStat(path, follow: false, out var st) && st.Uid == LibC.GetEuid();

    /// <summary>Creates a new directory (mode 0700) named <c>&lt;prefix&gt;&lt;owner tag&gt;-&lt;8 hex&gt;</c> in the temp directory.</summary>
    public static string CreateTempDirectory(string prefix)
    {
        var path = Path.Combine(Path.GetTempPath(), OwnerTag.UniqueName(prefix));
        if (Directory.Exists(path) || File.Exists(path))
        {
            throw new IOException($"'{path}' already exists.");
        }

        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("GentooImage runs on Linux only.");
        }

        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    /// <summary>Removes a file, symlink or directory tree (not following symlinks, refusing mount points).</summary>
    public static void Remove(string path)
    {
        var info = new FileInfo(path);
        if (!info.Attributes.HasFlag(FileAttributes.Directory) || info.LinkTarget is not null)
        {
            File.Delete(path);
            return;
        }

        // Canonical, as MountTable.Below wants: the directory swept may have been named through a symlink.
        var full = PathInRoot.RealPath(path);
        if (MountTable.Below(MountTable.Read(), full).Count > 0)
        {
            throw new GentooImageException(ErrorKind.BuildRootBusy, $"Something is mounted at or below '{full}'; it was not removed.", full);
        }

        RemoveTree(new DirectoryInfo(full));
    }

    private static void RemoveTree(DirectoryInfo dir)
    {
        foreach (var child in dir.EnumerateFileSystemInfos())
        {
            if (child is DirectoryInfo d && child.LinkTarget is null)
            {
                RemoveTree(d);
            }
            else
            {
                File.Delete(child.FullName);
            }
        }

        dir.Delete();
    }
}
