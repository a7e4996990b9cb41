using System.Diagnostics;
using System.Globalization;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Mounts;

/// <summary>
/// The mounts a chroot needs (handbook section "Mounting the necessary filesystems" plus a private
/// devpts, a private /dev/shm and a tmpfs for /var/tmp/portage), made so that nothing the build
/// does can propagate to the host, and taken down again deepest first.
/// </summary>
public static class BuildFilesystems
{
    public const string MountStep = "Mount-BuildFilesystems";
    public const string DismountStep = "Dismount-BuildFilesystems";

    /// <summary>How long -Force waits after SIGTERM before SIGKILL.</summary>
    public static TimeSpan ForceGracePeriod { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>The mounts <see cref="Mount"/> would make, in order (for -WhatIf); nothing is changed.</summary>
    public static IReadOnlyList<MountRecord> Plan(BuildRoot root, BuildMountOptions options)
    {
        var rootPath = CheckRoot(root);
        options = options with { DistfilesCache = CheckCache(options.DistfilesCache, "-DistfilesCache"), BinpkgCache = CheckCache(options.BinpkgCache, "-BinpkgCache") };
        return Steps(rootPath, options, portageOwner: null)
            .Select(s => new MountRecord(root.HostPath(s.PathInRoot), s.Source, s.Type, s.Options))
            .ToList();
    }

    /// <summary>
    /// Mounts everything on <paramref name="root"/>, fills in its Mounts, sets IsMounted, records the
    /// step and saves the state. A root already mounted by the module is left as it is.
    /// </summary>
    public static BuildRoot Mount(BuildRoot root, BuildMountOptions options, OperationContext ctx)
    {
        Privilege.RequireRoot(MountStep, "mount(2) needs CAP_SYS_ADMIN");
        var rootPath = CheckRoot(root);
        var history = StepRecorder.Start(root, MountStep, ctx.Cancellation);
        var table = MountTable.Read();

        if (root.IsMounted && root.Mounts.Count > 0 && root.Mounts.All(m => table.Any(e => e.MountPoint == m.Target)))
        {
            ctx.Verbose($"'{rootPath}' is already mounted by GentooImage ({root.Mounts.Count} mounts); nothing to do.");
            return root;
        }

        var cacheDistfiles = CheckCache(options.DistfilesCache, "-DistfilesCache");
        var cacheBinpkgs = CheckCache(options.BinpkgCache, "-BinpkgCache");
        options = options with { DistfilesCache = cacheDistfiles, BinpkgCache = cacheBinpkgs };
        var owner = options.NoPortageTmpfs ? null : PortageOwner(rootPath, ctx);
        var steps = Steps(rootPath, options, owner);

        // Validate every mount point that exists before anything is mounted (the /dev/* ones are
        // checked again once /dev is there); refuse ones already mounted by a crashed session.
        var planned = new HashSet<string>(StringComparer.Ordinal);
        foreach (var step in steps)
        {
            var target = ResolveTarget(rootPath, step);
            if (!planned.Add(target))
            {
                throw Unsafe(step, target, rootPath, "it resolves to the same place as another mount point");
            }

            if (!step.OnHostTree && table.Any(e => e.MountPoint == target))
            {
                throw new GentooImageException(ErrorKind.MountFailed,
                    $"'{target}' is already a mount point (left over from an earlier session?). Run Dismount-BuildFilesystems on '{rootPath}' first, then mount again.",
                    target);
            }
        }

        var made = new List<MountRecord>();
        var resolvConf = false;
        try
        {
            var i = 0;
            foreach (var step in steps)
            {
                ctx.ThrowIfCancelled("mounting " + rootPath);
                ctx.Report(new ProgressReport("Mounting build filesystems", step.PathInRoot, 100 * i++ / steps.Count));
                var record = MountOne(rootPath, step, made);
                if (record is not null)
                {
                    made.Add(record);
                    ctx.Verbose("Mounted " + record);
                }
            }

            resolvConf = ResolvConf.Install(rootPath);
            if (!resolvConf)
            {
                ctx.Warning("The host has no /etc/resolv.conf; the root keeps its own, so name resolution in the chroot may not work.");
            }
        }
        catch (Exception ex)
        {
            var left = Undo(rootPath, made, resolvConf);
            history.Failed(ex, ex.Message + (left.Count > 0 ? $" Could not undo: {string.Join(", ", left)}." : string.Empty));
            throw;
        }

        root.SetMounts(made);
        root.IsMounted = true;
        history.Succeeded($"{made.Count} mounts", new Dictionary<string, string>
        {
            ["Mounts"] = string.Join("; ", made.Select(m => m.Target)),
            ["ResolvConf"] = resolvConf ? "copied" : "kept",
        });
        return root;
    }

    /// <summary>
    /// Unmounts everything below <paramref name="root"/> (from /proc/self/mountinfo), deepest first,
    /// after making each mount a slave so nothing propagates to the host; restores resolv.conf.
    /// </summary>
    public static BuildRoot Dismount(BuildRoot root, bool force, OperationContext ctx)
    {
        Privilege.RequireRoot(DismountStep, "umount2(2) needs CAP_SYS_ADMIN");
        var rootPath = CheckRoot(root);
        var history = StepRecorder.Start(root, DismountStep, ctx.Cancellation);
        List<MountEntry> below;
        var killed = new List<BusyProcess>();
        try
        {
            below = Below(rootPath);
            if (below.Count > 0)
            {
                var points = below.Select(m => m.MountPoint).Distinct().ToList();
                var scan = Stopwatch.StartNew();
                var busy = BusyProcesses.Find(rootPath, points, includeMaps: false);
                ctx.Verbose($"Checked /proc for processes using the root in {scan.ElapsedMilliseconds} ms: {busy.Count} found.");
                if (busy.Count > 0)
                {
                    if (!force)
                    {
                        throw Busy(rootPath, busy, "Stop them, or use -Force to terminate them (SIGTERM, then SIGKILL)");
                    }

                    Terminate(busy, ctx);
                    killed = busy;
                }

                var left = UnmountBelow(rootPath, ctx);
                if (left.Count > 0)
                {
                    var still = BusyProcesses.Find(rootPath, left.Select(l => l.MountPoint).ToList(), includeMaps: true);
                    if (still.Count > 0 && force)
                    {
                        Terminate(still, ctx);
                        killed.AddRange(still);
                        left = UnmountBelow(rootPath, ctx);
                        still = left.Count == 0 ? still : BusyProcesses.Find(rootPath, left.Select(l => l.MountPoint).ToList(), includeMaps: true);
                    }

                    if (left.Count > 0 && still.Count > 0)
                    {
                        throw Busy(rootPath, still,
                            $"Some mounts were already removed; {string.Join(", ", left.Select(l => l.MountPoint))} remain. Stop them (or use -Force) and run Dismount-BuildFilesystems again",
                            partial: true);
                    }
                }

                if (left.Count > 0)
                {
                    throw new GentooImageException(ErrorKind.MountFailed,
                        $"Could not unmount {string.Join(", ", left.Select(l => $"'{l.MountPoint}' ({l.Error})"))}. Close whatever uses them (see 'fuser -vm <path>') and run Dismount-BuildFilesystems again.",
                        left[0].MountPoint);
                }
            }

            ResolvConf.Restore(rootPath);
            Leftovers.SweepRoot(rootPath, ctx.Verbose);
            root.SetMounts(Array.Empty<MountRecord>());
            root.IsMounted = false;
        }
        catch (Exception ex)
        {
            history.Failed(ex, ex.Message);
            throw;
        }

        history.Succeeded(
            below.Count == 0 ? "nothing was mounted" : $"{below.Count} mounts removed",
            killed.Count == 0 ? null : new Dictionary<string, string> { ["Terminated"] = string.Join("; ", killed) });
        return root;
    }

    private static string CheckRoot(BuildRoot root) => BuildRootGuard.Demand(root);

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

    private static IReadOnlyList<MountStep> Steps(string rootPath, BuildMountOptions options, (int Uid, int Gid)? portageOwner)
    {
        // Every mount is made a slave right after it is made: on a host whose / is shared (systemd),
        // a new mount below the root would otherwise be a peer and unmounts could propagate.
        const ulong kernelFs = LibC.MS_NOSUID | LibC.MS_NODEV | LibC.MS_NOEXEC;
        var slave = Mounts.MountStep.Slave;
        var steps = new List<MountStep>
        {
            new("/proc", "proc", "proc", kernelFs, null, slave, "proc", "nosuid,nodev,noexec,slave"),
            new("/sys", "/sys", null, LibC.MS_BIND | LibC.MS_REC, null, Mounts.MountStep.RecursiveSlave, "rbind", "rbind,rslave"),
            new("/dev", "/dev", null, LibC.MS_BIND | LibC.MS_REC, null, Mounts.MountStep.RecursiveSlave, "rbind", "rbind,rslave"),
            new("/run", "/run", null, LibC.MS_BIND, null, Mounts.MountStep.Slave, "bind", "bind,slave"),
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
            steps.Add(new("/var/cache/distfiles", distfiles, null, LibC.MS_BIND, null, Mounts.MountStep.Slave, "bind", "bind,slave"));
        }

        if (options.BinpkgCache is { } binpkgs)
        {
            steps.Add(new("/var/cache/binpkgs", binpkgs, null, LibC.MS_BIND, null, Mounts.MountStep.Slave, "bind", "bind,slave"));
        }

        _ = rootPath;
        return steps;
    }

    private static (int Uid, int Gid)? PortageOwner(string rootPath, OperationContext ctx)
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

    /// <summary>Resolves a mount point inside the root like chroot would and checks it stays inside.</summary>
    private static string ResolveTarget(string rootPath, MountStep step)
    {
        var target = PathInRoot.Resolve(rootPath, step.PathInRoot);
        if (target == rootPath || !PathInRoot.IsAtOrBelow(target, rootPath))
        {
            throw Unsafe(step, target, rootPath, "that is the root itself, not a directory inside it");
        }

        // /proc, /sys, /dev and /run must not land inside each other (e.g. /run -> /dev).
        if (!step.OnHostTree)
        {
            foreach (var other in new[] { "/proc", "/sys", "/dev", "/run" })
            {
                if (other != step.PathInRoot && !step.PathInRoot.StartsWith(other + "/", StringComparison.Ordinal))
                {
                    var o = Path.Join(rootPath, other.TrimStart('/'));
                    if (PathInRoot.IsAtOrBelow(target, o))
                    {
                        throw Unsafe(step, target, rootPath, $"it lies inside {other}, which gets a host file system");
                    }
                }
            }
        }

        return target;
    }

    private static GentooImageException Unsafe(MountStep step, string target, string rootPath, string why) =>
        new(ErrorKind.UnsafeMountPoint,
            $"The mount point {step.PathInRoot} of '{rootPath}' resolves (following the root's symlinks) to '{target}': {why}. Nothing was mounted. Replace the symlink with a real directory in the root.",
            target);

    private static MountRecord? MountOne(string rootPath, MountStep step, List<MountRecord> made)
    {
        var target = ResolveTarget(rootPath, step);
        var source = step.Source;
        if (step.SourceInRoot)
        {
            source = PathInRoot.Resolve(rootPath, step.Source);
            if (source == target)
            {
                return null; // /dev/ptmx already is a symlink to pts/ptmx: it reaches our instance.
            }
        }

        if (step.IsFile)
        {
            if (!File.Exists(target))
            {
                throw new GentooImageException(ErrorKind.MountFailed,
                    $"Cannot mount on {step.PathInRoot}: '{target}' does not exist. The host's /dev has no ptmx; check that devtmpfs is mounted on /dev.", target);
            }
        }
        else if (!Directory.Exists(target))
        {
            if (step.OnHostTree || File.Exists(target))
            {
                throw new GentooImageException(ErrorKind.MountFailed,
                    $"Cannot mount {step.Type} on {step.PathInRoot}: '{target}' is not a directory. " +
                    (step.OnHostTree ? "It would have to be created on the host's /dev; create it there (or fix the host's /dev) and try again." : "Remove the file from the root and try again."),
                    target);
            }

            Directory.CreateDirectory(target);
        }

        var err = LibC.Mount(source, target, step.FsType, step.Flags, step.Data);
        if (err != 0)
        {
            throw Failed(step, source, target, err);
        }

        var record = new MountRecord(target, source, step.Type, step.Options);
        if (step.Propagation != 0)
        {
            err = LibC.Mount(null, target, null, step.Propagation, null);
            if (err != 0)
            {
                made.Add(record); // so Undo takes it down
                throw Failed(step with { Type = "make-" + ((step.Propagation & LibC.MS_REC) == 0 ? "slave" : "rslave") }, source, target, err);
            }
        }

        return record;
    }

    private static GentooImageException Failed(MountStep step, string source, string target, int errno) =>
        new(ErrorKind.MountFailed,
            $"Mounting {step.Type} {source} on '{target}' ({step.Options}) failed: {LibC.StrError(errno)} (errno {errno}). " +
            "Mounts already made were undone. Check the path in the root and that the kernel supports the file system.",
            target);

    /// <summary>Takes down what a failed Mount made (every mount at or below the targets, deepest first).</summary>
    private static List<string> Undo(string rootPath, List<MountRecord> made, bool resolvConf)
    {
        if (resolvConf)
        {
            try
            {
                ResolvConf.Restore(rootPath);
            }
            catch (IOException)
            {
            }
        }

        if (made.Count == 0)
        {
            return new List<string>();
        }

        var targets = made.Select(m => m.Target).ToList();
        return UnmountBelow(rootPath, OperationContext.None, m => targets.Any(t => PathInRoot.IsAtOrBelow(m.MountPoint, t)))
            .Select(l => l.MountPoint).ToList();
    }

    private static List<MountEntry> Below(string rootPath) =>
        MountTable.Below(MountTable.Read(), rootPath).Where(m => m.MountPoint != rootPath).ToList();

    /// <summary>
    /// Unmounts every mount strictly below the root (optionally filtered), deepest first, making each
    /// path a recursive slave first so that no unmount can propagate to a peer on the host. Retries a
    /// few passes (stacked mounts, mounts briefly busy after their processes died); returns what is left.
    /// </summary>
    private static List<(string MountPoint, string Error)> UnmountBelow(string rootPath, OperationContext ctx, Func<MountEntry, bool>? filter = null)
    {
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        var stalled = 0;
        for (var pass = 0; pass < 200 && stalled < 10; pass++)
        {
            var below = Below(rootPath).Where(m => filter?.Invoke(m) ?? true).ToList();
            if (below.Count == 0)
            {
                return new List<(string, string)>();
            }

            // Shallowest first, so every parent is a slave before any child goes.
            foreach (var p in below.Select(m => m.MountPoint).Distinct().OrderBy(p => p.Count(c => c == '/')))
            {
                LibC.Mount(null, p, null, LibC.MS_REC | LibC.MS_SLAVE, null);
            }

            var progress = false;
            errors.Clear();
            foreach (var m in below)
            {
                var err = LibC.Umount2(m.MountPoint, LibC.UMOUNT_NOFOLLOW);
                if (err == 0)
                {
                    progress = true;
                    ctx.Verbose($"Unmounted {m.FileSystemType} on {m.MountPoint}");
                }
                else if (err != LibC.EINVAL && err != LibC.ENOENT)
                {
                    errors[m.MountPoint] = $"{LibC.StrError(err)} (errno {err})";
                }
            }

            if (!progress)
            {
                stalled++;
                Thread.Sleep(100);
            }
            else
            {
                stalled = 0;
            }
        }

        var left = Below(rootPath).Where(m => filter?.Invoke(m) ?? true).Select(m => m.MountPoint).Distinct();
        return left.Select(p => (p, errors.TryGetValue(p, out var e) ? e : "still mounted")).ToList();
    }

    private static GentooImageException Busy(string rootPath, List<BusyProcess> busy, string fix, bool partial = false) =>
        new(ErrorKind.BuildRootBusy,
            $"The build root '{rootPath}' is in use by {busy.Count} process(es): {string.Join("; ", busy.Take(20))}{(busy.Count > 20 ? "; ..." : string.Empty)}. {fix}.{(partial ? string.Empty : " Nothing was unmounted.")}",
            rootPath);

    private static void Terminate(List<BusyProcess> busy, OperationContext ctx)
    {
        foreach (var p in busy)
        {
            ctx.Verbose($"Sending SIGTERM to {p}");
            LibC.Kill(p.Pid, LibC.SIGTERM);
        }

        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < ForceGracePeriod && busy.Any(p => BusyProcesses.IsAlive(p.Pid)))
        {
            Thread.Sleep(20);
        }

        foreach (var p in busy.Where(p => BusyProcesses.IsAlive(p.Pid)))
        {
            ctx.Verbose($"Sending SIGKILL to {p}");
            LibC.Kill(p.Pid, LibC.SIGKILL);
        }

        deadline.Restart();
        while (deadline.Elapsed < TimeSpan.FromSeconds(5) && busy.Any(p => BusyProcesses.IsAlive(p.Pid)))
        {
            Thread.Sleep(20);
        }
    }
}
