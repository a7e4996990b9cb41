using System.Text.RegularExpressions;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Kernel;

/// <summary>
/// Reads and writes kernel config fragment lines: <c>CONFIG_X=y|m|n|"string"|number</c> and
/// <c># CONFIG_X is not set</c>. Blank lines and other comments are skipped; anything else is an
/// error that names the file and line.
/// </summary>
public static partial class KernelConfigFragment
{
    [GeneratedRegex(@"^CONFIG_(?<sym>[A-Za-z0-9_]+)=(?<val>.*)$", RegexOptions.CultureInvariant)]
    private static partial Regex AssignmentRegex();

    [GeneratedRegex(@"^#\s*CONFIG_(?<sym>[A-Za-z0-9_]+) is not set$", RegexOptions.CultureInvariant)]
    private static partial Regex NotSetRegex();

    [GeneratedRegex(@"^(?:CONFIG_)?(?<sym>[A-Za-z0-9_]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex SymbolRegex();

    [GeneratedRegex(@"^(?:[ymn]|-?[0-9]+|0[xX][0-9a-fA-F]+|""(?:[^""\\]|\\.)*"")$", RegexOptions.CultureInvariant)]
    private static partial Regex ValueRegex();

    /// <summary>Parses fragment text; <paramref name="source"/> names it in errors and in each entry's Source.</summary>
    public static IReadOnlyList<KernelConfigEntry> Parse(string text, string source)
    {
        var entries = new List<KernelConfigEntry>();
        var lineNo = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNo++;
            var line = raw.TrimEnd('\r').Trim();
            if (line.Length == 0)
            {
                continue;
            }

            var notSet = NotSetRegex().Match(line);
            if (notSet.Success)
            {
                entries.Add(new KernelConfigEntry(notSet.Groups["sym"].Value, "n", $"{source}:{lineNo}"));
                continue;
            }

            if (line[0] == '#')
            {
                continue;
            }

            var assign = AssignmentRegex().Match(line);
            if (!assign.Success || !ValueRegex().IsMatch(assign.Groups["val"].Value))
            {
                throw new GentooImageException(
                    ErrorKind.KernelConfigInvalid,
                    $"{source}:{lineNo}: '{line}' is not a kernel config line. Write CONFIG_NAME=y|m|n|\"text\"|number, or '# CONFIG_NAME is not set'.",
                    $"{source}:{lineNo}");
            }

            entries.Add(new KernelConfigEntry(assign.Groups["sym"].Value, assign.Groups["val"].Value, $"{source}:{lineNo}"));
        }

        return entries;
    }

    /// <summary>Reads a fragment file.</summary>
    public static IReadOnlyList<KernelConfigEntry> ParseFile(string path)
    {
        if (!File.Exists(path))
        {
            throw new GentooImageException(
                ErrorKind.KernelConfigInvalid,
                $"The config fragment '{path}' does not exist. Check the -FragmentPath value.",
                path);
        }

        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>
    /// One -Setting entry: the name with or without <c>CONFIG_</c>, the value y, m, n, a quoted
    /// string or a number. <paramref name="index"/> (1-based) names the entry in errors.
    /// </summary>
    public static KernelConfigEntry ParseSetting(string name, string? value, int index)
    {
        var where = $"-Setting entry {index} ('{name}')";
        var sym = SymbolRegex().Match(name?.Trim() ?? string.Empty);
        if (!sym.Success)
        {
            throw new GentooImageException(
                ErrorKind.KernelConfigInvalid,
                $"{where}: '{name}' is not a kernel config symbol name. Use letters, digits and '_', with or without the CONFIG_ prefix.",
                name);
        }

        var v = value?.Trim() ?? string.Empty;
        if (!ValueRegex().IsMatch(v))
        {
            throw new GentooImageException(
                ErrorKind.KernelConfigInvalid,
                $"{where}: '{value}' is not a kernel config value. Use y, m, n, a number, or a string in double quotes (e.g. '\"console=ttyS0\"').",
                name);
        }

        return new KernelConfigEntry(sym.Groups["sym"].Value, v, where);
    }

    /// <summary>The .config line for a symbol and value (<c>n</c> becomes <c># CONFIG_X is not set</c>).</summary>
    public static string FormatLine(string symbol, string value) =>
        value == "n" ? $"# CONFIG_{symbol} is not set" : $"CONFIG_{symbol}={value}";

    /// <summary>
    /// The symbol values of a .config text: symbol (no prefix) to value; <c># ... is not set</c>
    /// gives <c>n</c>. Lines that are neither are ignored (a .config is kconfig's, not the user's).
    /// </summary>
    public static Dictionary<string, string> ReadValues(string text)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith("CONFIG_", StringComparison.Ordinal))
            {
                var eq = line.IndexOf('=');
                if (eq > 7)
                {
                    values[line[7..eq]] = line[(eq + 1)..];
                }
            }
            else if (line.StartsWith("# CONFIG_", StringComparison.Ordinal) && line.EndsWith(" is not set", StringComparison.Ordinal))
            {
                values[line[9..^11]] = "n";
            }
        }

        return values;
    }

    /// <summary>
    /// Merges entries into .config text: each symbol's existing line is replaced in place, new
    /// symbols are appended in request order. Returns the new text.
    /// </summary>
    public static string Merge(string configText, IReadOnlyList<KernelConfigEntry> entries)
    {
        var wanted = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var e in entries)
        {
            wanted[e.Symbol] = e.Value;
        }

        var lines = configText.Length == 0 ? new List<string?>() : configText.TrimEnd('\n').Split('\n').Select(l => (string?)l).ToList();
        var done = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < lines.Count; i++)
        {
            var sym = SymbolOfLine(lines[i]!);
            if (sym is not null && wanted.TryGetValue(sym, out var v))
            {
                lines[i] = done.Add(sym) ? FormatLine(sym, v) : null; // a duplicate line goes
            }
        }

        foreach (var e in entries)
        {
            if (done.Add(e.Symbol))
            {
                lines.Add(FormatLine(e.Symbol, wanted[e.Symbol]));
            }
        }

        return string.Join('\n', lines.Where(l => l is not null)) + "\n";
    }

    private static string? SymbolOfLine(string line)
    {
        if (line.StartsWith("CONFIG_", StringComparison.Ordinal))
        {
            var eq = line.IndexOf('=');
            return eq > 7 ? line[7..eq] : null;
        }

        return line.StartsWith("# CONFIG_", StringComparison.Ordinal) && line.EndsWith(" is not set", StringComparison.Ordinal)
            ? line[9..^11]
            : null;
    }
}
