using System.Text.RegularExpressions;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Guest;

/// <summary>Carries out planned <see cref="GuestChange"/>s on a root, at file level (no tools run).</summary>
internal static class GuestApplier
{
    private static readonly Regex s_rotated = new(@"(\.(gz|xz|bz2|zst|lz4|old)|[.-]\d+|\.\d+\.gz)$", RegexOptions.CultureInvariant);

    public static bool IsRotated(string name) => s_rotated.IsMatch(name);

    public static void Apply(BuildRoot root, GuestRootFs fs, GuestChange change)
    {
        switch (change.Kind)
        {
            case GuestChangeKind.WriteFile:
                WriteFile(fs, change.Path!, change.Value ?? string.Empty, change.Mode ?? (UnixFileMode)0b110_100_100);
                break;
            case GuestChangeKind.Symlink:
                Symlink(fs, change.Path!, change.Value!);
                break;
            case GuestChangeKind.Delete:
                DeleteEntry(fs.ForChange(change.Path!, followLast: false));
                break;
            case GuestChangeKind.EmptyDirectory:
                var dir = fs.ForChange(change.Path!, followLast: true);
                if (MountTable.Below(MountTable.Read(), dir).Count > 0)
                {
                    // e.g. Mount-BuildFilesystems -DistfilesCache binds the host's cache here: never empty a host directory.
                    throw new GentooImageException(
                        ErrorKind.GuestConfigFailed,
                        $"'{change.Path}' in the root is (or contains) a mount point, so emptying it would delete files outside the root. Run Dismount-BuildFilesystems first, or leave out -CleanPortage.",
                        dir);
                }

                if (Directory.Exists(dir))
                {
                    foreach (var entry in Directory.EnumerateFileSystemEntries(dir).ToList())
                    {
                        DeleteEntry(entry);
                    }
                }

                break;
            case GuestChangeKind.TruncateLogs:
                var logs = fs.ForChange(change.Path!, followLast: true);
                if (Directory.Exists(logs))
                {
                    foreach (var file in HygienePlanner.EnumerateLogFiles(logs).ToList())
                    {
                        if (IsRotated(file.Name))
                        {
                            file.Delete();
                        }
                        else if (file.Length > 0)
                        {
                            using var stream = new FileStream(file.FullName, FileMode.Truncate, FileAccess.Write);
                        }
                    }
                }

                break;
            case GuestChangeKind.KernelArgument:
                root.AddKernelArgument(change.Value!);
                break;
        }
    }

    private static void WriteFile(GuestRootFs fs, string path, string content, UnixFileMode mode)
    {
        var host = fs.ForChange(path, followLast: false);
        Directory.CreateDirectory(Path.GetDirectoryName(host)!);
        if (GuestRootFs.IsLink(host))
        {
            File.Delete(host);
        }

        if (Directory.Exists(host))
        {
            throw new GentooImageException(ErrorKind.GuestConfigFailed, $"'{path}' in the root is a directory where a file belongs. Remove it and run Initialize-CloudGuest again.", host);
        }

        if (File.Exists(host))
        {
            // In place: the file keeps its inode, owner, mode and extended attributes (/etc/shadow stays 0640).
            File.WriteAllText(host, content);
            return;
        }

        File.WriteAllText(host, content);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(host, mode);
        }
    }

    private static void Symlink(GuestRootFs fs, string path, string target)
    {
        var host = fs.ForChange(path, followLast: false);
        Directory.CreateDirectory(Path.GetDirectoryName(host)!);
        if (Directory.Exists(host) && !GuestRootFs.IsLink(host))
        {
            throw new GentooImageException(ErrorKind.GuestConfigFailed, $"'{path}' in the root is a directory where a link belongs. Remove it and run Initialize-CloudGuest again.", host);
        }

        if (File.Exists(host) || GuestRootFs.IsLink(host))
        {
            File.Delete(host);
        }

        File.CreateSymbolicLink(host, target);
    }

    private static void DeleteEntry(string host)
    {
        if (GuestRootFs.IsLink(host) || File.Exists(host))
        {
            File.Delete(host);
        }
        else if (Directory.Exists(host))
        {
            Directory.Delete(host, recursive: true);
        }
    }
}
