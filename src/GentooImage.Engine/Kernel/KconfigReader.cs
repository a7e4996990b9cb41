using System.Text.RegularExpressions;

namespace GentooImage.Engine.Kernel;

/// <summary>
/// Reads a kernel tree's Kconfig files for <see cref="KconfigTree"/>: follows <c>source</c>
/// statements from the top-level Kconfig (globs and relative forms too), expands <c>$(VAR)</c>
/// variables, and records each <c>config</c>/<c>menuconfig</c> entry's type, prompt, <c>depends on</c>
/// conditions (with those inherited from <c>if</c>, <c>menu</c> and <c>choice</c> blocks) and selects.
/// </summary>
internal sealed partial class KconfigReader
{
    private readonly Dictionary<string, KconfigSymbol> _symbols = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _vars = new(StringComparer.Ordinal);
    private readonly string _srcTree;
    private readonly CancellationToken _cancel;

    private KconfigReader(string srcTree, string srcArch, CancellationToken cancel)
    {
        _srcTree = srcTree;
        _cancel = cancel;
        _vars["SRCARCH"] = srcArch;
        _vars["ARCH"] = srcArch;
    }

    /// <summary>How many Kconfig files were read.</summary>
    public int FileCount { get; private set; }

    /// <summary>Reads the Kconfig files of <paramref name="srcTree"/> for architecture directory <paramref name="srcArch"/>; the symbols in the order first met.</summary>
    public static KconfigReader Read(string srcTree, string srcArch, CancellationToken cancel)
    {
        var reader = new KconfigReader(srcTree, srcArch, cancel);
        reader.ReadFile(Path.Combine(srcTree, "Kconfig"), new List<Frame>(), required: true);
        return reader;
    }

    /// <summary>The symbols read, by name, in the order first met.</summary>
    public Dictionary<string, KconfigSymbol> Symbols => _symbols;

    [GeneratedRegex(@"^([A-Za-z0-9_-]+)\s*(:=|\+=|=)\s*(.*)$", RegexOptions.CultureInvariant)]
    private static partial Regex AssignmentRegex();

    [GeneratedRegex(@"\$\(([A-Za-z0-9_-]+)\)", RegexOptions.CultureInvariant)]
    private static partial Regex VariableRegex();

    private sealed class Frame
    {
        public List<KconfigExpression> Conditions { get; } = new();

        public bool IsChoice { get; init; }

        public string Kind { get; init; } = string.Empty;
    }

    private void ReadFile(string path, List<Frame> frames, bool required)
    {
        _cancel.ThrowIfCancellationRequested();
        if (!File.Exists(path))
        {
            if (required)
            {
                throw new FileNotFoundException($"Kconfig file '{path}' is missing.", path);
            }

            return;
        }

        FileCount++;
        var rel = Path.GetRelativePath(_srcTree, path);
        var lines = File.ReadAllLines(path);
        var baseDepth = frames.Count;
        KconfigDefinition? entry = null;
        KconfigSymbol? entrySymbol = null;
        Frame? blockFrame = null; // the menu/choice whose attributes follow
        var i = 0;
        while (i < lines.Length)
        {
            var lineNo = i + 1;
            var line = lines[i++];
            while (line.EndsWith('\\') && i < lines.Length)
            {
                line = line[..^1] + " " + lines[i++];
            }

            var text = KconfigText.StripComment(line).Trim();
            if (text.Length == 0)
            {
                continue;
            }

            var (keyword, rest) = KconfigText.SplitFirst(text);
            switch (keyword)
            {
                case "help":
                case "---help---":
                    i = KconfigText.SkipHelp(lines, i, KconfigText.Indent(line));
                    continue;
                case "config":
                case "menuconfig":
                    entrySymbol = Symbol(rest.Trim());
                    entry = new KconfigDefinition { Location = $"{rel}:{lineNo}", InChoice = frames.Any(f => f.IsChoice) };
                    entry.DependsOn.AddRange(frames.SelectMany(f => f.Conditions));
                    entrySymbol.Definitions.Add(entry);
                    blockFrame = null;
                    continue;
                case "choice":
                    blockFrame = new Frame { IsChoice = true, Kind = "choice" };
                    frames.Add(blockFrame);
                    entry = null;
                    entrySymbol = null;
                    continue;
                case "menu":
                    blockFrame = new Frame { Kind = "menu" };
                    frames.Add(blockFrame);
                    entry = null;
                    entrySymbol = null;
                    continue;
                case "if":
                    var ifFrame = new Frame { Kind = "if" };
                    ifFrame.Conditions.Add(KconfigExpression.Parse(rest));
                    frames.Add(ifFrame);
                    entry = null;
                    entrySymbol = null;
                    blockFrame = null;
                    continue;
                case "endchoice":
                case "endmenu":
                case "endif":
                    if (frames.Count > baseDepth)
                    {
                        frames.RemoveAt(frames.Count - 1);
                    }

                    entry = null;
                    entrySymbol = null;
                    blockFrame = null;
                    continue;
                case "comment":
                case "mainmenu":
                    entry = null;
                    entrySymbol = null;
                    blockFrame = null;
                    continue;
                case "source":
                case "osource":
                case "rsource":
                case "orsource":
                    entry = null;
                    entrySymbol = null;
                    blockFrame = null;
                    var target = Expand(KconfigText.Unquote(rest.Trim()));
                    var relative = keyword is "rsource" or "orsource";
                    var full = relative ? Path.Combine(Path.GetDirectoryName(path)!, target) : Path.Combine(_srcTree, target);
                    if (full.Contains('*') || full.Contains('?'))
                    {
                        foreach (var match in Glob(full))
                        {
                            ReadFile(match, frames, required: false);
                        }
                    }
                    else
                    {
                        // A missing file (source or osource alike) is kconfig's error to report; here it only means fewer symbols.
                        ReadFile(full, frames, required: false);
                    }

                    // A sourced file cannot leave blocks open; restore our depth regardless.
                    continue;
            }

            if (entry is null && blockFrame is null)
            {
                var assign = AssignmentRegex().Match(text);
                if (assign.Success)
                {
                    var value = Expand(assign.Groups[3].Value.Trim());
                    var name = assign.Groups[1].Value;
                    _vars[name] = assign.Groups[2].Value == "+=" && _vars.TryGetValue(name, out var old) ? old + " " + value : value;
                }

                continue;
            }

            if (entry is not null && entrySymbol is not null)
            {
                ReadEntryAttribute(entrySymbol, entry, keyword, rest);
            }
            else if (blockFrame is not null)
            {
                if (keyword == "depends" && rest.StartsWith("on", StringComparison.Ordinal))
                {
                    blockFrame.Conditions.Add(KconfigExpression.Parse(rest[2..]));
                }
                else if (keyword == "visible" && rest.StartsWith("if", StringComparison.Ordinal))
                {
                    blockFrame.Conditions.Add(KconfigExpression.Parse(rest[2..]));
                }
            }
        }

        while (frames.Count > baseDepth)
        {
            frames.RemoveAt(frames.Count - 1);
        }
    }

    private void ReadEntryAttribute(KconfigSymbol symbol, KconfigDefinition entry, string keyword, string rest)
    {
        switch (keyword)
        {
            case "bool":
            case "tristate":
            case "string":
            case "int":
            case "hex":
                symbol.Type = keyword;
                ReadPrompt(entry, rest);
                break;
            case "def_bool":
            case "def_tristate":
                symbol.Type = keyword[4..];
                break;
            case "prompt":
                ReadPrompt(entry, rest);
                break;
            case "depends":
                if (rest.StartsWith("on", StringComparison.Ordinal))
                {
                    entry.DependsOn.Add(KconfigExpression.Parse(rest[2..]));
                }

                break;
            case "select":
                var (target, cond) = KconfigText.SplitFirst(rest.Trim());
                var selected = Symbol(target);
                KconfigExpression? ifExpr = null;
                if (cond.TrimStart().StartsWith("if", StringComparison.Ordinal))
                {
                    ifExpr = KconfigExpression.Parse(cond.TrimStart()[2..]);
                }

                // Active when the selecter is on and the condition holds (the selecter's own value
                // already reflects its dependencies).
                selected.Selects.Add((symbol.Name, ifExpr));
                break;
        }
    }

    private static void ReadPrompt(KconfigDefinition entry, string rest)
    {
        rest = rest.Trim();
        if (rest.Length == 0 || (rest[0] != '"' && rest[0] != '\''))
        {
            return;
        }

        var close = KconfigText.FindClosingQuote(rest);
        entry.Prompt = rest[1..close];
        var after = rest[Math.Min(close + 1, rest.Length)..].Trim();
        if (after.StartsWith("if", StringComparison.Ordinal) && (after.Length == 2 || !char.IsLetterOrDigit(after[2])))
        {
            entry.PromptIf = KconfigExpression.Parse(after[2..]);
        }
    }

    private KconfigSymbol Symbol(string name)
    {
        if (!_symbols.TryGetValue(name, out var s))
        {
            s = new KconfigSymbol(name);
            _symbols[name] = s;
        }

        return s;
    }

    private string Expand(string s) =>
        VariableRegex().Replace(s, m => _vars.TryGetValue(m.Groups[1].Value, out var v) ? v : string.Empty);

    private static IEnumerable<string> Glob(string pattern)
    {
        var parts = pattern.Split('/');
        IEnumerable<string> current = new[] { pattern.StartsWith('/') ? "/" : string.Empty };
        foreach (var part in parts.Where(p => p.Length > 0))
        {
            if (part.Contains('*') || part.Contains('?'))
            {
                current = current.SelectMany(dir => Directory.Exists(dir)
                    ? Directory.EnumerateFileSystemEntries(dir, part).Order(StringComparer.Ordinal)
                    : Enumerable.Empty<string>()).ToList();
            }
            else
            {
                current = current.Select(dir => Path.Combine(dir, part)).ToList();
            }
        }

        return current.Where(File.Exists);
    }
}
