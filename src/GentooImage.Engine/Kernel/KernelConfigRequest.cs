namespace GentooImage.Engine.Kernel;

/// <summary>What Set-KernelConfig was asked to do.</summary>
public sealed record KernelConfigRequest
{
    /// <summary>Preset names (see <see cref="KernelConfigPreset"/>), applied first, in order.</summary>
    public IReadOnlyList<string> Presets { get; init; } = Array.Empty<string>();

    /// <summary>Fragment files on the host, applied after the presets, in order.</summary>
    public IReadOnlyList<string> FragmentPaths { get; init; } = Array.Empty<string>();

    /// <summary>Single settings (name with or without CONFIG_, value), applied last.</summary>
    public IReadOnlyList<KeyValuePair<string, string?>> Settings { get; init; } = Array.Empty<KeyValuePair<string, string?>>();

    /// <summary>Throw <c>KernelConfigUnmet</c> when a verified value does not hold.</summary>
    public bool Strict { get; init; }

    /// <summary>Write a dist-kernel fragment to /etc/kernel/config.d instead of editing a .config.</summary>
    public bool DistKernel { get; init; }

    /// <summary>The dist-kernel fragment's file name (default <see cref="DefaultFragmentName"/>).</summary>
    public string? FragmentName { get; init; }

    /// <summary>
    /// For a build root: the kernel tree as a path inside the root. For a bare .config: a kernel
    /// tree on the host to verify against (optional).
    /// </summary>
    public string? KernelSource { get; init; }

    public const string DefaultFragmentName = "90-gentooimage.config";
}
