namespace GentooImage.Engine.Kernel;

/// <summary>
/// What a kernel tree's own Kconfig files say about one symbol: its type, whether any of its
/// definitions has a prompt (so the user can set it), where it is defined, and what selects it.
/// </summary>
public sealed class KconfigSymbol
{
    internal KconfigSymbol(string name) => Name = name;

    public string Name { get; }

    /// <summary>bool, tristate, string, int or hex (empty when no definition gave a type).</summary>
    public string Type { get; internal set; } = string.Empty;

    /// <summary>True when at least one definition has a prompt.</summary>
    public bool HasPrompt => Definitions.Any(d => d.Prompt is not null);

    /// <summary>"file:line" of every definition.</summary>
    public IEnumerable<string> Locations => Definitions.Select(d => d.Location);

    /// <summary>The symbols that select this one.</summary>
    public IEnumerable<string> SelectedBy => Selects.Select(s => s.By).Distinct();

    internal List<KconfigDefinition> Definitions { get; } = new();

    internal List<(string By, KconfigExpression? If)> Selects { get; } = new();

    public override string ToString() => $"{Name} ({Type}{(HasPrompt ? ", prompt" : ", no prompt")})";
}

/// <summary>One <c>config</c>/<c>menuconfig</c> block of a symbol.</summary>
internal sealed class KconfigDefinition
{
    public required string Location { get; init; }

    /// <summary>The prompt text, or null when this definition has none.</summary>
    public string? Prompt { get; set; }

    /// <summary>The prompt's own <c>if</c> condition, or null.</summary>
    public KconfigExpression? PromptIf { get; set; }

    /// <summary>Inherited <c>if</c>/<c>menu</c>/<c>choice</c> conditions, then the block's own <c>depends on</c>.</summary>
    public List<KconfigExpression> DependsOn { get; } = new();

    public bool InChoice { get; init; }
}
