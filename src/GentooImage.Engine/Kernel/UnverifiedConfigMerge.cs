using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Kernel;

/// <summary>Merges the requested values into a .config on the host when there is no kernel tree to verify them against: every row is NotVerified.</summary>
internal static class UnverifiedConfigMerge
{
    public static KernelConfigReport Apply(string configPath, IReadOnlyList<KernelConfigEntry> entries, OperationContext ctx)
    {
        if (!File.Exists(configPath))
        {
            throw new GentooImageException(
                ErrorKind.InvalidArgument,
                $"The kernel config '{configPath}' does not exist. Pass an existing .config, or add -KernelSource <kernel tree> to create it with 'make defconfig'.",
                configPath);
        }

        var original = File.ReadAllText(configPath);
        var merged = KernelConfigFragment.Merge(original, entries);
        AtomicFile.WriteText(configPath, merged);
        AtomicFile.WriteText(configPath + ".old", original);
        ctx.Verbose($"Merged {entries.Count} values into {configPath} (previous file kept as {configPath}.old); no kernel tree given, so nothing is verified.");
        var before = KernelConfigFragment.ReadValues(original);
        var rows = entries.Select(e => new KernelConfigRow(
            e.Symbol, e.Value, e.Value, KernelConfigStatus.NotVerified,
            (before.TryGetValue(e.Symbol, out var o) && o == e.Value ? "already in the file" : "written")
            + "; not verified: no kernel tree to check it against (add -KernelSource to run make olddefconfig and verify)")
        { Source = e.Source }).ToList();
        return new KernelConfigReport { ConfigPath = configPath, Rows = rows };
    }
}
