using GentooImage.Engine.Model;

namespace GentooImage.Engine.Kernel;

/// <summary>
/// Says, for each requested symbol, whether its value holds in the final .config and, when it does
/// not, why (unknown or renamed symbol, no prompt, unmet dependency, forced by a selecter, bool asked
/// to be a module, another choice member), from the tree's Kconfig files.
/// </summary>
internal static class KernelConfigClassifier
{
    /// <summary>The only table: symbols that were renamed or removed upstream, and what replaced them.</summary>
    private static readonly Dictionary<string, string> s_renames = new(StringComparer.Ordinal)
    {
        ["XEN_SCRUB_PAGES"] = "it was renamed to XEN_SCRUB_PAGES_DEFAULT (Linux 4.19); request CONFIG_XEN_SCRUB_PAGES_DEFAULT=y",
        ["VIRTIO_BLK_SCSI"] = "it was removed (Linux 5.6, 'virtio-blk: remove VIRTIO_BLK_F_SCSI support') in favour of virtio-scsi, CONFIG_SCSI_VIRTIO",
    };

    public static KernelConfigRow Classify(
        KernelConfigEntry e,
        IReadOnlyDictionary<string, string> before,
        IReadOnlyDictionary<string, string> final,
        KconfigTree kconfig,
        IReadOnlyDictionary<string, string> requested,
        string? version)
    {
        string? ValueOf(string s) => final.TryGetValue(s, out var v) ? v : null;
        var actual = ValueOf(e.Symbol);
        var actualN = actual ?? "n";
        var holds = string.Equals(actualN, e.Value, StringComparison.Ordinal);
        var sym = kconfig.Find(e.Symbol);
        if (sym is null || sym.Definitions.Count == 0)
        {
            var reason = $"CONFIG_{e.Symbol} is not in the Kconfig files of {(version is null ? "this kernel" : "Linux " + version)}";
            reason += s_renames.TryGetValue(e.Symbol, out var hint) ? ": " + hint : "; check the name (kconfig drops unknown symbols)";
            return new KernelConfigRow(e.Symbol, e.Value, actual, KernelConfigStatus.Unknown, reason);
        }

        var unmet = Unmet(sym, e.Value, ValueOf, requested);
        if (!sym.HasPrompt)
        {
            var selecters = ActiveSelecters(sym, ValueOf);
            var from = selecters.Count > 0 ? $"selected by {string.Join(", ", selecters)}" : "set from its default";
            var reason = $"CONFIG_{e.Symbol} has no prompt ({sym.Definitions[0].Location}): the user cannot set it, kconfig computes it ({from}); "
                + (holds ? "the requested value holds" : $"the requested value does not hold (it is {actualN})"
                    + (unmet.Count > 0 ? $"; it needs {string.Join(", ", unmet)}" : string.Empty));
            return new KernelConfigRow(e.Symbol, e.Value, actual, KernelConfigStatus.NotSettable, reason);
        }

        if (holds)
        {
            var was = before.TryGetValue(e.Symbol, out var o) ? o : "n";
            return string.Equals(was, e.Value, StringComparison.Ordinal)
                ? new KernelConfigRow(e.Symbol, e.Value, actual, KernelConfigStatus.AlreadySet, "already set before this change")
                : new KernelConfigRow(e.Symbol, e.Value, actual, KernelConfigStatus.Applied, $"changed from {was}");
        }

        if (unmet.Count > 0)
        {
            return new KernelConfigRow(e.Symbol, e.Value, actual, KernelConfigStatus.DependencyUnmet,
                $"CONFIG_{e.Symbol} needs {string.Join(", ", unmet)}; kconfig set it to {actualN}");
        }

        var active = ActiveSelecters(sym, ValueOf);
        string why;
        if (active.Count > 0 && KconfigExpression.Tristate(actualN) > KconfigExpression.Tristate(e.Value))
        {
            why = $"selected by {string.Join(", ", active)}, which forces it to {actualN}";
        }
        else if (e.Value == "m" && sym.Type == "bool")
        {
            why = $"CONFIG_{e.Symbol} is a bool: it cannot be a module (m); request y or n";
        }
        else if (e.Value == "m" && ValueOf("MODULES") != "y")
        {
            return new KernelConfigRow(e.Symbol, e.Value, actual, KernelConfigStatus.DependencyUnmet,
                $"CONFIG_{e.Symbol}=m needs MODULES (is {ValueOf("MODULES") ?? "n"})");
        }
        else if (sym.Definitions.Any(d => d.InChoice))
        {
            why = $"CONFIG_{e.Symbol} is a choice member and another member of its choice was chosen";
        }
        else
        {
            why = $"kconfig set it to {actualN}";
        }

        return new KernelConfigRow(e.Symbol, e.Value, actual, KernelConfigStatus.Overridden, why);
    }

    /// <summary>The failing dependency conjuncts of the best definition (none when one definition is satisfied).</summary>
    private static List<string> Unmet(KconfigSymbol sym, string value, Func<string, string?> valueOf, IReadOnlyDictionary<string, string> requested)
    {
        var need = value switch { "n" => 0, "m" => 1, "y" => sym.Type == "bool" ? 1 : 2, _ => 1 };
        if (need == 0)
        {
            return new List<string>();
        }

        List<string>? best = null;
        foreach (var d in sym.Definitions.Where(d => d.Prompt is not null || !sym.HasPrompt))
        {
            var conds = d.DependsOn.AsEnumerable();
            if (d.PromptIf is not null)
            {
                conds = conds.Append(d.PromptIf);
            }

            var failing = conds.SelectMany(c => c.Conjuncts())
                .Where(c => c.Evaluate(valueOf) < need)
                .Select(c => Describe(c, valueOf, requested))
                .Distinct()
                .ToList();
            if (best is null || failing.Count < best.Count)
            {
                best = failing;
            }
        }

        return best ?? new List<string>();
    }

    private static string Describe(KconfigExpression c, Func<string, string?> valueOf, IReadOnlyDictionary<string, string> requested)
    {
        string Note(string s) => requested.TryGetValue(s, out var r) ? $", which this request sets to {r}" : string.Empty;
        return c switch
        {
            KconfigExpression.Symbol s => $"{s.Name} (is {valueOf(s.Name) ?? "n"}{Note(s.Name)})",
            KconfigExpression.Not { Operand: KconfigExpression.Symbol s } => $"{s.Name} to be off (is {valueOf(s.Name) ?? "n"}{Note(s.Name)})",
            _ => $"'{c.Text}' (is {(c.Evaluate(valueOf) switch { 2 => "y", 1 => "m", _ => "n" })})",
        };
    }

    private static List<string> ActiveSelecters(KconfigSymbol sym, Func<string, string?> valueOf) =>
        sym.Selects
            .Where(s => KconfigExpression.Tristate(valueOf(s.By)) > 0 && (s.If is null || s.If.Evaluate(valueOf) > 0))
            .Select(s => s.By)
            .Distinct()
            .ToList();

}
