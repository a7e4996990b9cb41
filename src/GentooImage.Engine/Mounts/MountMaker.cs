using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Mounts;

/// <summary>
/// Makes the planned mounts one by one: each mount point resolved inside the root as chroot would
/// (a symlink out of the root, or into /proc, /sys, /dev or /run, is refused before anything is
/// mounted), mounted with mount(2) and made a slave at once; <see cref="Undo"/> takes down what a
/// failed run made.
/// </summary>
internal static class MountMaker
{
    /// <summary>
    /// Checks every mount point that exists before anything is mounted (the /dev/* ones are checked
    /// again once /dev is there); refuses ones already mounted by a crashed session.
    /// </summary>
    internal static void CheckTargets(string rootPath, IReadOnlyList<PlannedMount> steps, IReadOnlyList<MountEntry> table)
    {
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
    }

    /// <summary>Mounts <paramref name="steps"/> in order; what is mounted is added to <paramref name="made"/> as it happens (for <see cref="Undo"/>).</summary>
    internal static void MountAll(string rootPath, IReadOnlyList<PlannedMount> steps, List<MountRecord> made, OperationContext ctx)
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
    }

    /// <summary>Resolves a mount point inside the root like chroot would and checks it stays inside.</summary>
    internal static string ResolveTarget(string rootPath, PlannedMount step)
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

    internal static GentooImageException Unsafe(PlannedMount step, string target, string rootPath, string why) =>
        new(ErrorKind.UnsafeMountPoint,
            $"The mount point {step.PathInRoot} of '{rootPath}' resolves (following the root's symlinks) to '{target}': {why}. Nothing was mounted. Replace the symlink with a real directory in the root.",
            target);

    internal static MountRecord? MountOne(string rootPath, PlannedMount step, List<MountRecord> made)
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

    internal static GentooImageException Failed(PlannedMount step, string source, string target, int errno) =>
        new(ErrorKind.MountFailed,
            $"Mounting {step.Type} {source} on '{target}' ({step.Options}) failed: {LibC.StrError(errno)} (errno {errno}). " +
            "Mounts already made were undone. Check the path in the root and that the kernel supports the file system.",
            target);

    /// <summary>Takes down what a failed Mount made (every mount at or below the targets, deepest first).</summary>
    internal static List<string> Undo(string rootPath, List<MountRecord> made, bool resolvConf)
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
        return Unmounter.UnmountBelow(rootPath, OperationContext.None, m => targets.Any(t => PathInRoot.IsAtOrBelow(m.MountPoint, t)))
            .Select(l => l.MountPoint).ToList();
    }
}
