using System.Globalization;
using System.Text;
using GentooImage.Engine.Platform;
using static GentooImage.Engine.Image.SizeText;

namespace GentooImage.Engine.Image;

/// <summary>
/// Writes the root file system into the root partition without loop devices or mounts:
/// <c>mkfs.ext4 -d</c> at the partition's offset, straight from the root when little must be left
/// out (the excluded paths are removed and fstab and grub.cfg written afterwards with debugfs), or
/// from a staging tree of hard links when something is mounted below the root or much is excluded.
/// </summary>
internal sealed class RootFileSystemWriter
{
    private readonly ImageWorkspace _ws;
    private string? _staging;

    public RootFileSystemWriter(ImageWorkspace ws) => _ws = ws;

    private DiskImageLayout L => _ws.Layout;

    /// <summary>Creates the file system in the partition at <paramref name="startSector"/> (<paramref name="sizeSectors"/> long).</summary>
    public void Write(long startSector, long sizeSectors)
    {
        // An unmounted root goes to mkfs.ext4 as it is and the few excluded or replaced paths
        // are fixed up with debugfs; a mounted one (or one with much to leave out) goes
        // through a staging tree of hard links.
        var fixups = DirectFixups();
        if (fixups is null)
        {
            _ws.Step("Staging the root's files", 5);
            StageRoot();
        }

        _ws.Step($"Creating the ext4 file system ({L.UsedBytes / MiB} MiB of files)", 10);
        MakeRootFileSystem(startSector, sizeSectors, fixups is null ? _staging! : L.Request.RootPath);
        if (fixups is null)
        {
            RemoveStaging();
        }
        else
        {
            _ws.Step("Writing fstab and grub.cfg into the file system", 65);
            ApplyFixups(startSector, fixups);
        }
    }

    /// <summary>Removes a staging tree a failed build left; a failure to do so is a warning.</summary>
    public void Cleanup()
    {
        try
        {
            RemoveStaging();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _ws.Context.Warning($"Could not remove the staging tree '{_staging}': {ex.Message}. Remove it by hand.");
        }
    }

    /// <summary>The /etc/fstab written into the image (the root's own lines for other mount points are kept).</summary>
    internal static string Fstab(DiskImageLayout layout, string? original)
    {
        var sb = new StringBuilder("# /etc/fstab: written by New-RawDiskImage.\n");
        sb.Append(CultureInfo.InvariantCulture, $"UUID={layout.RootUuid}\t/\text4\tdefaults,noatime\t0 1\n");
        if (layout.EspVolumeId is not null)
        {
            sb.Append(CultureInfo.InvariantCulture, $"UUID={layout.EspVolumeId}\t/efi\tvfat\tumask=0077,noauto,nofail\t0 2\n");
        }

        foreach (var line in (original ?? string.Empty).Split('\n'))
        {
            var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 2 && !fields[0].StartsWith('#') && fields[1] is not ("/" or "/efi" or "/boot/efi" or "/boot"))
            {
                sb.Append(line.TrimEnd()).Append('\n');
            }
        }

        return sb.ToString();
    }

    private void StageRoot()
    {
        var root = L.Request.RootPath;
        var parent = Path.GetDirectoryName(root);
        var rootDev = FileCalls.LStat(root).Dev;

        // Hard links need the staging tree on the root's file system: beside the root when the
        // parent is on it, else inside the root (the walk skips it there).
        var name = OwnerTag.UniqueName(RootTree.StagingPrefix);
        _staging = parent is not null && FileCalls.TryLStat(parent, out var ps) && ps.Dev == rootDev
            ? Path.Combine(parent, name)
            : Path.Combine(root, name);
        var replaced = new HashSet<string>(StringComparer.Ordinal) { "/etc/fstab", "/boot/grub/grub.cfg" };
        RootTree.Stage(root, _staging, replaced, _ws.Context);

        var original = PathInRoot.ReadText(root, "/etc/fstab", ErrorKind.ImageBuildFailed);
        WriteStaged("/etc/fstab", Fstab(L, original));
        WriteStaged("/boot/grub/grub.cfg", GrubConfig.For(L));
        if (L.EspVolumeId is not null && !Directory.Exists(_staging + "/efi"))
        {
            EnsureDir(_staging + "/efi");
        }
    }

    private void WriteStaged(string rel, string content)
    {
        var path = _staging + rel;
        var dir = Path.GetDirectoryName(path)!;
        EnsureDir(dir);
        var dirStat = FileCalls.LStat(dir);

        // The staged entry is a hard link of the root's own file, or a symlink the root holds:
        // unlink it and create a new file (O_EXCL), never write through it.
        if (File.Exists(path) || new FileInfo(path).LinkTarget is not null)
        {
            File.Delete(path);
        }

        using (var f = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            f.Write(Encoding.UTF8.GetBytes(content));
        }

        FileCalls.Chmod(path, 0x1A4); // 0644
        FileCalls.SetTimes(dir, dirStat);
    }

    /// <summary>Makes <paramref name="path"/> a real directory of the staging tree: a staged symlink on the way is replaced, never followed (it may point at a host path).</summary>
    private void EnsureDir(string path)
    {
        if (path.Length <= _staging!.Length)
        {
            return;
        }

        var info = new DirectoryInfo(path);
        if (info.LinkTarget is not null)
        {
            _ws.Context.Warning($"{path[_staging.Length..]} is a symlink in the root; the image gets a real directory there for the files GentooImage writes.");
            File.Delete(path);
        }
        else if (info.Exists)
        {
            return;
        }

        EnsureDir(Path.GetDirectoryName(path)!);
        FileCalls.Mkdir(path, 0x1ED); // 0755
        FileCalls.Chmod(path, 0x1ED);
    }

    /// <summary>Deletions for the direct mode, or null when the root needs a staging tree.</summary>
    private List<(string Rel, bool IsDir)>? DirectFixups()
    {
        if (L.HasMountsBelow)
        {
            return null;
        }

        var (entries, bytes) = RootTree.ExcludedEntries(L.Request.RootPath, L.Excluded);
        if (bytes > 64 * MiB || entries.Any(e => !DebugfsSafe(e.Rel)))
        {
            return null;
        }

        return entries;
    }

    private static bool DebugfsSafe(string rel) => !rel.Any(c => c is '"' or '\\' or '\n' or '\r' or '\t');

    private void ApplyFixups(long startSector, List<(string Rel, bool IsDir)> deletions)
    {
        var root = L.Request.RootPath;
        var cmds = new StringBuilder();
        foreach (var (rel, isDir) in deletions)
        {
            cmds.Append(isDir ? "rmdir" : "rm").Append(" \"").Append(rel).Append("\"\n");
        }

        void Put(string dirRel, string name, string content)
        {
            var local = Path.Combine(_ws.WorkDirectory, name);
            File.WriteAllText(local, content);
            if (!Directory.Exists(root + dirRel))
            {
                cmds.Append("mkdir \"").Append(dirRel).Append("\"\n");
            }

            cmds.Append("cd \"").Append(dirRel).Append("\"\n");
            if (FileCalls.TryLStat(root + dirRel + "/" + name, out _))
            {
                cmds.Append("rm ").Append(name).Append('\n');
            }

            cmds.Append("write \"").Append(local).Append("\" ").Append(name).Append('\n');
            cmds.Append("sif ").Append(name).Append(" mode 0100644\n");
            cmds.Append("sif ").Append(name).Append(" uid 0\n");
            cmds.Append("sif ").Append(name).Append(" gid 0\n");
            cmds.Append("cd /\n");
        }

        var original = PathInRoot.ReadText(root, "/etc/fstab", ErrorKind.ImageBuildFailed);
        Put("/etc", "fstab", Fstab(L, original));
        Put("/boot/grub", "grub.cfg", GrubConfig.For(L));
        if (L.EspVolumeId is not null && !Directory.Exists(root + "/efi"))
        {
            cmds.Append("mkdir /efi\n");
        }

        var cmdFile = Path.Combine(_ws.WorkDirectory, "fixups.debugfs");
        File.WriteAllText(cmdFile, cmds.ToString());
        var r = _ws.Tool(new ProcessSpec("debugfs", "-w", "-f", cmdFile, $"{_ws.TempImage}?offset={startSector * 512}") { Environment = new Dictionary<string, string?> { ["LC_ALL"] = "C" } }, "debugfs");

        // debugfs exits 0 even when a command fails; its complaints go to stderr.
        var errors = r.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => !l.StartsWith("debugfs ", StringComparison.Ordinal) && !l.StartsWith("Allocated inode", StringComparison.Ordinal))
            .ToList();
        if (errors.Count > 0)
        {
            throw new GentooImageException(ErrorKind.ImageBuildFailed, $"debugfs could not adjust the image's file system: {string.Join("; ", errors.Take(5))}", L.Request.ImagePath);
        }
    }

    private void MakeRootFileSystem(long startSector, long sizeSectors, string source)
    {
        var args = new List<string> { "-q", "-F", "-t", "ext4", "-d", source, "-L", L.Request.Label, "-U", L.RootUuid, "-E", $"offset={startSector * 512}" };

        // mke2fs gives one inode per 16 KiB: a root of many small files (a Portage tree) needs more.
        var inodes = (long)(L.EntryCount * 1.3) + 4096;
        if (inodes > sizeSectors * 512 / 16384)
        {
            args.Add("-N");
            args.Add(inodes.ToString(CultureInfo.InvariantCulture));
        }

        args.Add(_ws.TempImage);
        args.Add($"{sizeSectors / 2}k");
        var r = _ws.Run(new ProcessSpec("mkfs.ext4", args), "mkfs.ext4");
        if (!r.Succeeded)
        {
            var err = r.StandardError + r.StandardOutput;
            if (err.Contains("Could not allocate", StringComparison.Ordinal) || err.Contains("ext2 filesystem is full", StringComparison.OrdinalIgnoreCase))
            {
                throw new GentooImageException(
                    ErrorKind.ImageTooSmall,
                    $"The root's files do not fit in a {sizeSectors / 2048} MiB root file system (image {L.SizeBytes / MiB} MiB). Give a bigger -Size (at least {(L.SizeBytes + (L.UsedBytes / 5)) / MiB}MB) or leave -Size out.",
                    L.Request.ImagePath);
            }

            r.EnsureSuccess(ErrorKind.ImageBuildFailed, "mkfs.ext4");
        }
    }

    private void RemoveStaging()
    {
        if (_staging is not null && Directory.Exists(_staging))
        {
            Directory.Delete(_staging, recursive: true);
        }

        _staging = null;
    }
}
