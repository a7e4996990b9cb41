using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Mounts;

/// <summary>
/// The mounts a chroot needs (handbook section "Mounting the necessary filesystems" plus a private
/// devpts, a private /dev/shm and a tmpfs for /var/tmp/portage), made so that nothing the build
/// does can propagate to the host, and taken down again deepest first. The steps of the stage:
/// <see cref="MountPlanner"/> decides what to mount, <see cref="MountMaker"/> mounts (and undoes a
/// failed run), <see cref="Unmounter"/> takes everything down; the History entry is written by
/// <see cref="StepRecorder"/>.
/// </summary>
public static class BuildFilesystems
{
    /// <summary>The steps' names in the root's History (and in the messages that need root).</summary>
    public const string MountStep = "Mount-BuildFilesystems";

    /// <inheritdoc cref="MountStep"/>
    public const string DismountStep = "Dismount-BuildFilesystems";

    /// <summary>How long -Force waits after SIGTERM before SIGKILL.</summary>
    public static TimeSpan ForceGracePeriod { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>The mounts <see cref="Mount"/> would make, in order (for -WhatIf); nothing is changed.</summary>
    public static IReadOnlyList<MountRecord> Plan(BuildRoot root, BuildMountOptions options)
    {
        BuildRootGuard.Demand(root);
        return MountPlanner.Steps(MountPlanner.CheckCaches(options), portageOwner: null)
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
        var rootPath = BuildRootGuard.Demand(root);
        var history = StepRecorder.Start(root, MountStep, ctx);
        var table = MountTable.Read();
        if (root.IsMounted && root.Mounts.Count > 0 && root.Mounts.All(m => table.Any(e => e.MountPoint == m.Target)))
        {
            ctx.Verbose($"'{rootPath}' is already mounted by GentooImage ({root.Mounts.Count} mounts); nothing to do.");
            return root;
        }

        options = MountPlanner.CheckCaches(options);
        var steps = MountPlanner.Steps(options, options.NoPortageTmpfs ? null : MountPlanner.PortageOwner(rootPath, ctx));
        MountMaker.CheckTargets(rootPath, steps, table);

        var made = new List<MountRecord>();
        var resolvConf = false;
        try
        {
            MountMaker.MountAll(rootPath, steps, made, ctx);
            resolvConf = ResolvConf.Install(rootPath);
            if (!resolvConf)
            {
                ctx.Warning("The host has no /etc/resolv.conf; the root keeps its own, so name resolution in the chroot may not work.");
            }
        }
        catch (Exception ex)
        {
            var left = MountMaker.Undo(rootPath, made, resolvConf);
            history.Failed(ex, left.Count > 0 ? $"{StepRecorder.DetailOf(ex)} Could not undo: {string.Join(", ", left)}." : null);
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
        var rootPath = BuildRootGuard.Demand(root);
        var history = StepRecorder.Start(root, DismountStep, ctx);
        (int Removed, List<BusyProcess> Killed) done;
        try
        {
            done = Unmounter.TakeDown(rootPath, force, ctx);
            ResolvConf.Restore(rootPath);
            Leftovers.SweepRoot(rootPath, ctx.Verbose);
            root.SetMounts(Array.Empty<MountRecord>());
            root.IsMounted = false;
        }
        catch (Exception ex)
        {
            history.Failed(ex);
            throw;
        }

        history.Succeeded(
            done.Removed == 0 ? "nothing was mounted" : $"{done.Removed} mounts removed",
            done.Killed.Count == 0 ? null : new Dictionary<string, string> { ["Terminated"] = string.Join("; ", done.Killed) });
        return root;
    }
}
