using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Mounts;

/// <summary>A process that keeps a build root busy, and why.</summary>
internal sealed record BusyProcess(int Pid, string Command, string Reason, string Path)
{
    public override string ToString() => $"pid {Pid} ({Command}): {Reason} {Path}";
}

/// <summary>
/// Finds processes whose root is inside a build root, or whose cwd, open files or mapped files are
/// on one of its mounts, by reading /proc/*/root, cwd, fd/* and maps (what fuser/lsof do). Reading
/// every process's maps costs the kernel far more than the rest (hundreds of ms on a busy host), so
/// callers look at maps only once an unmount actually reports EBUSY.
/// </summary>
internal static class BusyProcesses
{
    internal static List<BusyProcess> Find(string root, IReadOnlyCollection<string> mountPoints, bool includeMaps = true)
    {
        var self = Environment.ProcessId;
        var found = new List<BusyProcess>();
        var pids = Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(System.IO.Path.GetFileName(d), out var pid) ? pid : -1)
            .Where(pid => pid > 0 && pid != self)
            .ToList();
        Parallel.ForEach(pids, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(2, Environment.ProcessorCount) }, pid =>
        {
            var dir = "/proc/" + pid.ToString(System.Globalization.CultureInfo.InvariantCulture);
            try
            {
                var hit = Check(dir, root, mountPoints, includeMaps);
                if (hit is not null)
                {
                    lock (found)
                    {
                        found.Add(new BusyProcess(pid, Comm(dir), hit.Value.Reason, hit.Value.Path));
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The process went away while we looked, or is a kernel thread: not busy.
            }
        });

        found.Sort((a, b) => a.Pid.CompareTo(b.Pid));
        return found;
    }

    /// <summary>True while the process exists and is not a zombie (a zombie holds no files).</summary>
    internal static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')');
            return close < 0 || close + 2 >= stat.Length || stat[close + 2] != 'Z';
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static (string Reason, string Path)? Check(string dir, string root, IReadOnlyCollection<string> mountPoints, bool includeMaps)
    {
        bool OnMount(string p) => mountPoints.Any(m => PathInRoot.IsAtOrBelow(p, m));

        var procRoot = Link(dir + "/root");
        if (procRoot is not null && PathInRoot.IsAtOrBelow(procRoot, root) && procRoot != "/")
        {
            return ("has its root at", procRoot);
        }

        var cwd = Link(dir + "/cwd");
        if (cwd is not null && OnMount(cwd))
        {
            return ("has its working directory in", cwd);
        }

        foreach (var fd in SafeEnumerate(dir + "/fd"))
        {
            var target = Link(fd);
            if (target is not null && target.StartsWith('/') && OnMount(Strip(target)))
            {
                return ("has open", Strip(target));
            }
        }

        if (!includeMaps)
        {
            return null;
        }

        string? maps = null;
        try
        {
            // One big read per chunk: the kernel regenerates maps text for every read call.
            using var fs = new FileStream(dir + "/maps", FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
            using var reader = new StreamReader(fs, System.Text.Encoding.UTF8, false, 1 << 16);
            maps = reader.ReadToEnd();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }

        if (maps is not null && mountPoints.Any(m => maps.Contains(m, StringComparison.Ordinal)))
        {
            foreach (var line in maps.Split('\n'))
            {
                var slash = line.IndexOf('/');
                if (slash >= 0 && OnMount(Strip(line[slash..])))
                {
                    return ("has mapped", Strip(line[slash..]));
                }
            }
        }

        return null;
    }

    private static string Strip(string p) =>
        p.EndsWith(" (deleted)", StringComparison.Ordinal) ? p[..^10] : p;

    private static IEnumerable<string> SafeEnumerate(string dir)
    {
        try
        {
            return Directory.GetFileSystemEntries(dir);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Array.Empty<string>();
        }
    }

    private static string? Link(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string Comm(string dir)
    {
        try
        {
            return File.ReadAllText(dir + "/comm").Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "?";
        }
    }
}
