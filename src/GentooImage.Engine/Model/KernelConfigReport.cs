namespace GentooImage.Engine.Model;

/// <summary>The outcome of a kernel configuration merge: one row per requested symbol.</summary>
public sealed record KernelConfigReport
{
    /// <summary>The .config (or dist-kernel fragment) that was written.</summary>
    public required string ConfigPath { get; init; }

    /// <summary>The kernel tree it was verified against, or null.</summary>
    public string? KernelSource { get; init; }

    /// <summary>Kernel version of that tree, when known (e.g. 6.1.158).</summary>
    public string? KernelVersion { get; init; }

    /// <summary>True for a dist-kernel fragment: the values are pending until the kernel is built.</summary>
    public bool Pending { get; init; }

    /// <summary>How the values were verified ("make olddefconfig on the host", "... in the chroot"), or null when they were not.</summary>
    public string? VerifiedWith { get; init; }

    public IReadOnlyList<KernelConfigRow> Rows { get; init; } = Array.Empty<KernelConfigRow>();

    public int Holding => Rows.Count(r => r.Holds);

    public int NotHolding => Rows.Count - Holding;

    public override string ToString() =>
        Pending ? $"{ConfigPath}: {Rows.Count} values pending until the dist-kernel is built"
        : VerifiedWith is null ? $"{ConfigPath}: {Rows.Count} values written, not verified"
        : $"{ConfigPath}: {Holding} of {Rows.Count} requested values hold";
}
