namespace GentooImage.Engine.Guest;

/// <summary>
/// Plans the hygiene part: what of the build must not reach every instance (machine ids, shell
/// histories, MAC-bound interface names, build logs and scripts, log contents, portage's build
/// directories).
/// </summary>
internal static class HygienePlanner
{
    private static readonly string[] s_historyFiles =
        { ".bash_history", ".ash_history", ".sh_history", ".history", ".zsh_history", ".python_history", ".lesshst", ".viminfo", ".wget-hsts" };

    public static void Plan(GuestPlanDraft draft)
    {
        var fs = draft.Fs;
        var machineId = draft.Current("/etc/machine-id");
        if (machineId is { Length: > 0 } || (machineId is null && draft.Init == InitSystem.Systemd))
        {
            draft.WriteFile(GuestPart.Hygiene, "/etc/machine-id", string.Empty, (UnixFileMode)0b100_100_100, "empty machine-id (each instance makes its own)");
        }

        if (fs.FileExists("/var/lib/dbus/machine-id") && fs.LinkTarget("/var/lib/dbus/machine-id") is null)
        {
            draft.Delete(GuestPart.Hygiene, "/var/lib/dbus/machine-id", "D-Bus machine id of the build");
        }

        foreach (var home in new[] { "/root" }.Concat(fs.List("/home").Select(h => "/home/" + h)))
        {
            foreach (var file in s_historyFiles)
            {
                draft.Delete(GuestPart.Hygiene, $"{home}/{file}", "shell/tool history");
            }
        }

        draft.Delete(GuestPart.Hygiene, "/etc/udev/rules.d/70-persistent-net.rules", "MAC-bound interface names");
        draft.Delete(GuestPart.Hygiene, "/var/log/gentooimage", "GentooImage's build logs");
        foreach (var name in fs.List("/var/tmp").Where(n => n.StartsWith("gentooimage-", StringComparison.Ordinal)))
        {
            draft.Delete(GuestPart.Hygiene, "/var/tmp/" + name, "GentooImage's build scripts");
        }

        if (HasLogs(fs, "/var/log"))
        {
            draft.Add(new GuestChange { Part = GuestPart.Hygiene, Kind = GuestChangeKind.TruncateLogs, Path = "/var/log", Description = "truncate logs under /var/log, remove rotated ones (directories kept)" });
        }

        draft.EmptyDirectory(GuestPart.Hygiene, "/var/tmp/portage", "portage build directories");
        if (draft.Options.CleanPortage)
        {
            draft.EmptyDirectory(GuestPart.Hygiene, "/var/cache/distfiles", "portage distfiles (-CleanPortage)");
        }

        draft.Note("/etc/resolv.conf is left as it is: Dismount-BuildFilesystems restores the root's own.");
    }

    /// <summary>The log files below a host directory, not through links (shared with the applier, which truncates them).</summary>
    internal static IEnumerable<FileInfo> EnumerateLogFiles(string hostDir)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true };
        return new DirectoryInfo(hostDir).EnumerateFiles("*", options);
    }

    private static bool HasLogs(GuestRootFs fs, string dir)
    {
        var host = fs.Resolve(dir);
        if (!Directory.Exists(host))
        {
            return false;
        }

        return EnumerateLogFiles(host).Any(f => f.Length > 0 || GuestApplier.IsRotated(f.Name));
    }
}
