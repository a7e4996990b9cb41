using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Mounts;

/// <summary>
/// The host's resolv.conf inside the root: the root's own file (or symlink) is renamed aside and
/// a dereferenced copy of the host's put in its place; Restore puts the original back. Markers in
/// the root's /etc make Restore work after a crashed session too.
/// </summary>
internal static class ResolvConf
{
    internal const string BackupSuffix = ".gentooimage-orig";
    internal const string AbsentSuffix = ".gentooimage-none";

    internal static string Target(string root)
    {
        var etc = PathInRoot.Resolve(root, "/etc");
        if (!PathInRoot.IsAtOrBelow(etc, root) || etc == root)
        {
            throw new GentooImageException(ErrorKind.UnsafeMountPoint,
                $"The root's /etc resolves to '{etc}', which is not a directory inside '{root}'. Fix /etc in the root.", etc);
        }

        return Path.Combine(etc, "resolv.conf");
    }

    /// <summary>Copies the host's resolv.conf in; returns false (and changes nothing) when the host has none.</summary>
    internal static bool Install(string root, string hostFile = "/etc/resolv.conf")
    {
        if (!File.Exists(hostFile))
        {
            return false;
        }

        var content = File.ReadAllBytes(hostFile); // follows symlinks: --dereference
        var target = Target(root);
        var backup = target + BackupSuffix;
        var absent = target + AbsentSuffix;
        if (!File.Exists(backup) && !File.Exists(absent))
        {
            if (new FileInfo(target).LinkTarget is not null || File.Exists(target))
            {
                File.Move(target, backup); // rename keeps a symlink a symlink: never written through
            }
            else
            {
                File.WriteAllBytes(absent, Array.Empty<byte>());
            }
        }
        else if (new FileInfo(target).LinkTarget is not null || File.Exists(target))
        {
            File.Delete(target); // our earlier copy (a symlink here would be deleted, not followed)
        }

        using (var fs = new FileStream(target, FileMode.CreateNew, FileAccess.Write))
        {
            fs.Write(content);
        }

        if (OperatingSystem.IsLinux())
        {
            File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        return true;
    }

    /// <summary>Puts the root's original resolv.conf back (no-op when Install never ran).</summary>
    internal static void Restore(string root)
    {
        var target = Target(root);
        var backup = target + BackupSuffix;
        var absent = target + AbsentSuffix;
        var hasBackup = new FileInfo(backup).LinkTarget is not null || File.Exists(backup);
        if (hasBackup)
        {
            if (new FileInfo(target).LinkTarget is not null || File.Exists(target))
            {
                File.Delete(target);
            }

            File.Move(backup, target);
        }
        else if (File.Exists(absent))
        {
            if (File.Exists(target))
            {
                File.Delete(target);
            }

            File.Delete(absent);
        }
    }
}
