namespace GentooImage.Engine.Kernel;

/// <summary>
/// One requested kernel option: the symbol without its <c>CONFIG_</c> prefix, the value as it is
/// written after <c>=</c> (<c>y</c>, <c>m</c>, <c>n</c>, a quoted string or a number; <c>n</c> also
/// stands for <c># CONFIG_X is not set</c>), and where the request came from.
/// </summary>
public sealed record KernelConfigEntry(string Symbol, string Value, string Source)
{
    /// <summary>The line as it goes into a .config or fragment.</summary>
    public string Line => KernelConfigFragment.FormatLine(Symbol, Value);

    public override string ToString() => $"{Line} ({Source})";
}
