using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Kernel;

/// <summary>
/// Merges the requested values into a kernel tree's .config, lets kconfig resolve it with
/// <c>make olddefconfig</c> (after <c>make defconfig</c> when there is no .config yet), and checks
/// every requested symbol against the final file and the tree's Kconfig files (read meanwhile).
/// On failure the .config is put back as it was; on success the previous one is kept as .config.old.
/// </summary>
internal static class VerifiedConfigMerge
{
    public static KernelConfigReport Apply(KernelConfigTarget t, IReadOnlyList<KernelConfigEntry> entries, OperationContext ctx, IProcessRunner runner)
    {
        ctx.ThrowIfCancelled();
        var activity = "Set-KernelConfig";
        if (!File.Exists(t.ConfigFile))
        {
            ctx.Verbose($"{t.ConfigFile} does not exist: creating it with 'make defconfig' first.");
            ctx.Report(new ProgressReport(activity, "make defconfig"));
            KernelMake.Run(t, KernelMake.HostArch(), "defconfig", ctx, runner);
        }

        var original = File.ReadAllText(t.ConfigFile);
        var (srcArch, arch) = KernelMake.ArchOf(original);
        var version = KernelSourceTree.Version(t.Tree);

        // Read the Kconfig files while kconfig runs.
        var kconfigTask = Task.Run(() => KconfigTree.Load(t.Tree, srcArch, ctx.Cancellation), ctx.Cancellation);
        var merged = KernelConfigFragment.Merge(original, entries);
        var verified = t.ChrootRoot is null ? "make olddefconfig on the host" : "make olddefconfig in the chroot";
        try
        {
            if (!string.Equals(merged, original, StringComparison.Ordinal))
            {
                AtomicFile.WriteText(t.ConfigFile, merged);
            }

            ctx.Report(new ProgressReport(activity, "make olddefconfig"));
            KernelMake.Run(t, arch, "olddefconfig", ctx, runner);
        }
        catch
        {
            // Leave the tree as it was.
            AtomicFile.WriteText(t.ConfigFile, original);
            ObserveQuietly(kconfigTask);
            throw;
        }

        AtomicFile.WriteText(t.ConfigFile + ".old", original);
        ctx.Verbose($"Merged {entries.Count} values into {t.ConfigFile} and ran {verified} (previous file kept as {t.ConfigFile}.old).");
        var final = KernelConfigFragment.ReadValues(File.ReadAllText(t.ConfigFile));
        var before = KernelConfigFragment.ReadValues(original);
        KconfigTree kconfig;
        try
        {
            kconfig = kconfigTask.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException ex)
        {
            throw OperationContext.Cancelled("reading Kconfig", ex);
        }
        catch (FileNotFoundException ex)
        {
            throw new GentooImageException(ErrorKind.KernelSourceNotFound, $"{ex.Message} '{t.Tree}' is not a complete kernel tree.", t.Tree, ex);
        }

        ctx.Verbose($"Read {kconfig.FileCount} Kconfig files ({kconfig.Symbols.Count} symbols) of Linux {version}.");
        var requested = entries.ToDictionary(e => e.Symbol, e => e.Value, StringComparer.Ordinal);
        var rows = new List<KernelConfigRow>();
        foreach (var e in entries)
        {
            var row = KernelConfigClassifier.Classify(e, before, final, kconfig, requested, version) with { Source = e.Source };
            rows.Add(row);
            if (!row.Holds)
            {
                ctx.Warning($"CONFIG_{row.Symbol}={row.Requested} does not hold ({row.Status}): {row.Reason}");
            }
        }

        return new KernelConfigReport
        {
            ConfigPath = t.ConfigFile,
            KernelSource = t.Tree,
            KernelVersion = version,
            VerifiedWith = verified,
            Rows = rows,
        };
    }

    private static void ObserveQuietly(Task task) =>
        task.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
}
