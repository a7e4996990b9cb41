namespace GentooImage.Engine.Kernel;

/// <summary>
/// What a kernel tree's Kconfig files say about its symbols: every <c>config</c>/<c>menuconfig</c>
/// symbol, whether it has a prompt, its <c>depends on</c> conditions (including those inherited from
/// <c>if</c>, <c>menu</c> and <c>choice</c> blocks) and its selecters (read by <see cref="KconfigReader"/>).
/// It does not compute values: the final .config (written by kconfig itself) supplies those.
/// </summary>
public sealed class KconfigTree
{
    private readonly Dictionary<string, KconfigSymbol> _symbols;

    private KconfigTree(string srcTree, Dictionary<string, KconfigSymbol> symbols, int fileCount)
    {
        SourceTree = srcTree;
        _symbols = symbols;
        FileCount = fileCount;
    }

    /// <summary>The kernel tree that was read.</summary>
    public string SourceTree { get; }

    /// <summary>How many Kconfig files were read.</summary>
    public int FileCount { get; }

    public IReadOnlyCollection<KconfigSymbol> Symbols => _symbols.Values;

    /// <summary>Reads the Kconfig files of <paramref name="srcTree"/> for architecture directory <paramref name="srcArch"/> (e.g. x86).</summary>
    public static KconfigTree Load(string srcTree, string srcArch, CancellationToken cancel = default)
    {
        var reader = KconfigReader.Read(srcTree, srcArch, cancel);
        return new KconfigTree(srcTree, reader.Symbols, reader.FileCount);
    }

    public KconfigSymbol? Find(string name) => _symbols.TryGetValue(name, out var s) ? s : null;
}
