using System.Diagnostics;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Mounts;

/// <summary>
/// Takes mounts below a root down, deepest first, each made a recursive slave before it goes so no
/// unmount can reach the host; finds and (with -Force) terminates the processes that keep a root
/// busy.
/// </summary>
internal static class Unmounter
{
    /// <summary>
    /// Takes down every mount below <paramref name="rootPath"/>: refuses (BuildRootBusy) when
    /// processes use it, unless <paramref name="force"/> (SIGTERM, then SIGKILL). Returns how many
    /// mounts there were and the processes terminated.
    /// </summary>
    internal static (int Removed, List<BusyProcess> Killed) TakeDown(string rootPath, bool force, OperationContext ctx)
    {
        var below = Below(rootPath);
        var killed = new List<BusyProcess>();
        if (below.Count == 0)
        {
            return (0, killed);
        }

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

        return (below.Count, killed);
    }

    internal static List<MountEntry> Below(string rootPath) =>
        MountTable.Below(MountTable.Read(), rootPath).Where(m => m.MountPoint != rootPath).ToList();

    /// <summary>
    /// Unmounts every mount strictly below the root (optionally filtered), deepest first, making each
    /// path a recursive slave first so that no unmount can propagate to a peer on the host. Retries a
    /// few passes (stacked mounts, mounts briefly busy after their processes died); returns what is left.
    /// </summary>
    internal static List<(string MountPoint, string Error)> UnmountBelow(string rootPath, OperationContext ctx, Func<MountEntry, bool>? filter = null)
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

    internal static GentooImageException Busy(string rootPath, List<BusyProcess> busy, string fix, bool partial = false) =>
        new(ErrorKind.BuildRootBusy,
            $"The build root '{rootPath}' is in use by {busy.Count} process(es): {string.Join("; ", busy.Take(20))}{(busy.Count > 20 ? "; ..." : string.Empty)}. {fix}.{(partial ? string.Empty : " Nothing was unmounted.")}",
            rootPath);

    internal static void Terminate(List<BusyProcess> busy, OperationContext ctx)
    {
        foreach (var p in busy)
        {
            ctx.Verbose($"Sending SIGTERM to {p}");
            LibC.Kill(p.Pid, LibC.SIGTERM);
        }

        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < BuildFilesystems.ForceGracePeriod && busy.Any(p => BusyProcesses.IsAlive(p.Pid)))
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
