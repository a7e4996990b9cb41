using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Kernel;

/// <summary>The values a Set-KernelConfig request asks for: presets, then fragment files, then settings; the last request of a symbol wins.</summary>
internal static class RequestedEntries
{
    /// <summary>The requested entries in merge order: presets, then fragment files, then settings.</summary>
    public static IReadOnlyList<KernelConfigEntry> Collect(KernelConfigRequest request)
    {
        var entries = new List<KernelConfigEntry>();
        foreach (var preset in request.Presets)
        {
            var name = KernelConfigPreset.Canonical(preset);
            entries.AddRange(KernelConfigFragment.Parse(KernelConfigPreset.Text(name), $"Preset {name}")
                .Select(e => e with { Source = $"Preset {name}" }));
        }

        foreach (var path in request.FragmentPaths)
        {
            entries.AddRange(KernelConfigFragment.ParseFile(path));
        }

        var index = 0;
        foreach (var (key, value) in request.Settings)
        {
            entries.Add(KernelConfigFragment.ParseSetting(key, value, ++index));
        }

        if (entries.Count == 0)
        {
            throw new GentooImageException(
                ErrorKind.InvalidArgument,
                "Nothing to set: give -Preset, -FragmentPath or -Setting.",
                null);
        }

        return entries;
    }

    /// <summary>One entry per symbol, in first-request order, carrying the last requested value.</summary>
    public static IReadOnlyList<KernelConfigEntry> Effective(IReadOnlyList<KernelConfigEntry> entries)
    {
        var order = new List<string>();
        var last = new Dictionary<string, KernelConfigEntry>(StringComparer.Ordinal);
        foreach (var e in entries)
        {
            if (!last.ContainsKey(e.Symbol))
            {
                order.Add(e.Symbol);
            }

            last[e.Symbol] = e;
        }

        return order.Select(s => last[s]).ToList();
    }
}
