using System.Globalization;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Mounts;

/// <summary>
/// What Mount-BuildFilesystems mounts, in order: the handbook's proc, sys, dev and run, a private
/// devpts and /dev/shm, the portage tmpfs (owned by the root's portage user) and the optional
/// cache binds. Decides only; <see cref="MountMaker"/> mounts.
/// </summary>
internal static class MountPlanner
{
    /// <summary>The options with the cache directories checked and made absolute.</summary>
    internal static BuildMountOptions CheckCaches(BuildMountOptions options) =>
        options with { DistfilesCache = CheckCache(options.DistfilesCache, "-DistfilesCache"), BinpkgCache = CheckCache(options.BinpkgCache, "-BinpkgCache") };

    private static string? CheckCache(string? dir, string parameter)
    {
        if (dir is null)
        {
            return null;
        }

        var full = HostPathPolicy.CheckCacheDirectory(Path.GetFullPath(dir), parameter.TrimStart('-'));
        if (!Directory.Exists(full))
        {
            throw new GentooImageException(ErrorKind.InvalidArgument,
                $"{parameter} '{dir}' is not a directory. Create it first (mkdir -p) or leave {parameter} out.", dir);
        }

        return full;
    }

    internal static IReadOnlyList<PlannedMount> Steps(BuildMountOptions options, (int Uid, int Gid)? portageOwner)
    {
        // Every mount is made a slave right after it is made: on a host whose / is shared (systemd),
        // a new mount below the root would otherwise be a peer and unmounts could propagate.
        const ulong kernelFs = LibC.MS_NOSUID | LibC.MS_NODEV | LibC.MS_NOEXEC;
        var slave = PlannedMount.Slave;
        var steps = new List<PlannedMount>
        {
            new("/proc", "proc", "proc", kernelFs, null, slave, "proc", "nosuid,nodev,noexec,slave"),
            new("/sys", "/sys", null, LibC.MS_BIND | LibC.MS_REC, null, PlannedMount.RecursiveSlave, "rbind", "rbind,rslave"),
            new("/dev", "/dev", null, LibC.MS_BIND | LibC.MS_REC, null, PlannedMount.RecursiveSlave, "rbind", "rbind,rslave"),
            new("/run", "/run", null, LibC.MS_BIND, null, PlannedMount.Slave, "bind", "bind,slave"),
            new("/dev/pts", "devpts", "devpts", LibC.MS_NOSUID | LibC.MS_NOEXEC, "newinstance,gid=5,mode=620,ptmxmode=666", slave, "devpts",
                "newinstance,gid=5,mode=620,ptmxmode=666,nosuid,noexec,slave"),
            new("/dev/ptmx", "/dev/pts/ptmx", null, LibC.MS_BIND, null, slave, "bind", "bind,slave", IsFile: true, SourceInRoot: true),
            new("/dev/shm", "shm", "tmpfs", LibC.MS_NOSUID | LibC.MS_NODEV, "mode=1777", slave, "tmpfs", "mode=1777,nosuid,nodev,slave"),
        };

        if (!options.NoPortageTmpfs)
        {
            var data = "mode=775";
            if (portageOwner is { } o)
            {
                data += string.Create(CultureInfo.InvariantCulture, $",uid={o.Uid},gid={o.Gid}");
            }

            if (options.PortageTmpfsSize is { } size)
            {
                data += string.Create(CultureInfo.InvariantCulture, $",size={size}");
            }

            steps.Add(new("/var/tmp/portage", "portage-tmpfs", "tmpfs", LibC.MS_NOSUID | LibC.MS_NODEV | LibC.MS_NOATIME, data, slave, "tmpfs",
                data + ",nosuid,nodev,noatime,slave"));
        }

        if (options.DistfilesCache is { } distfiles)
        {
            steps.Add(new("/var/cache/distfiles", distfiles, null, LibC.MS_BIND, null, PlannedMount.Slave, "bind", "bind,slave"));
        }

        if (options.BinpkgCache is { } binpkgs)
        {
            steps.Add(new("/var/cache/binpkgs", binpkgs, null, LibC.MS_BIND, null, PlannedMount.Slave, "bind", "bind,slave"));
        }

        return steps;
    }

    internal static (int Uid, int Gid)? PortageOwner(string rootPath, OperationContext ctx)
    {
        var passwd = PathInRoot.Resolve(rootPath, "/etc/passwd");
        if (!PathInRoot.IsAtOrBelow(passwd, rootPath) || !File.Exists(passwd))
        {
            ctx.Warning($"The root has no /etc/passwd; /var/tmp/portage will be owned by root.");
            return null;
        }

        foreach (var line in File.ReadLines(passwd))
        {
            var f = line.Split(':');
            if (f.Length >= 4 && f[0] == "portage" &&
                int.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out var uid) &&
                int.TryParse(f[3], NumberStyles.None, CultureInfo.InvariantCulture, out var gid))
            {
                return (uid, gid);
            }
        }

        ctx.Warning("The root's /etc/passwd has no 'portage' user; /var/tmp/portage will be owned by root.");
        return null;
    }
}
