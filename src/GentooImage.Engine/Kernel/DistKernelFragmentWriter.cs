using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Kernel;

/// <summary>
/// Writes the requested values as a fragment in the root's /etc/kernel/config.d, which Gentoo's
/// dist-kernel build merges: the values stay pending (NotVerified) until that kernel is built.
/// </summary>
internal static class DistKernelFragmentWriter
{
    /// <summary>Merges the entries into the fragment in the root at <paramref name="rootPath"/> (its canonical host path).</summary>
    public static KernelConfigReport Write(string rootPath, IReadOnlyList<KernelConfigEntry> entries, KernelConfigRequest request, OperationContext ctx)
    {
        var name = request.FragmentName is { Length: > 0 } n ? n : KernelConfigRequest.DefaultFragmentName;
        if (name.Contains('/') || name is "." or ".." || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
        {
            throw new GentooImageException(
                ErrorKind.InvalidArgument,
                $"-FragmentName '{name}' must be a plain file name such as '90-gentooimage.config'.",
                name);
        }

        if (!name.EndsWith(".config", StringComparison.Ordinal))
        {
            name += ".config"; // kernel-build.eclass only merges /etc/kernel/config.d/*.config
        }

        var dir = KernelSourceTree.ResolveInRoot(rootPath, "/etc/kernel/config.d");
        Directory.CreateDirectory(dir);
        // The fragment itself resolved inside the root too: a link to /etc/shadow is the root's shadow, never the host's.
        var path = KernelSourceTree.ResolveInRoot(rootPath, "/etc/kernel/config.d/" + name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var existing = File.Exists(path) ? File.ReadAllText(path) : "# Kernel config fragment written by GentooImage Set-KernelConfig.\n# Gentoo's dist-kernel build (kernel-build.eclass) merges /etc/kernel/config.d/*.config.\n";
        AtomicFile.WriteText(path, KernelConfigFragment.Merge(existing, entries));
        ctx.Verbose($"Wrote {entries.Count} values to {path}; they take effect when sys-kernel/gentoo-kernel is built.");
        var rows = entries.Select(e => new KernelConfigRow(
            e.Symbol, e.Value, null, KernelConfigStatus.NotVerified,
            "pending: Gentoo's dist-kernel build merges this fragment with merge_config.sh -m, which does not check it; verify the built kernel's .config")
        { Source = e.Source }).ToList();
        return new KernelConfigReport { ConfigPath = path, Rows = rows, Pending = true };
    }
}
