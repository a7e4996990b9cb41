namespace GentooImage.Engine.Model;

/// <summary>What Test-RawDiskImage found: the static checks, and the boot when one was asked for.</summary>
public sealed record ImageTestResult
{
    public required string Path { get; init; }

    public IReadOnlyList<ImageCheck> Checks { get; init; } = Array.Empty<ImageCheck>();

    /// <summary>Whether a boot was attempted.</summary>
    public bool BootTested { get; init; }

    /// <summary>True when the guest reached the expected pattern on its serial console.</summary>
    public bool Booted { get; init; }

    /// <summary>Seconds from VM start to the pattern.</summary>
    public double? BootSeconds { get; init; }

    /// <summary>Firmware the VM booted with.</summary>
    public BootFirmware? Firmware { get; init; }

    public Accelerator? Accelerator { get; init; }

    /// <summary>Why that accelerator was used (e.g. "a probe guest hung under KVM").</summary>
    public string? AcceleratorReason { get; init; }

    public string? SerialLogPath { get; init; }

    /// <summary>What the image was booted under (null when no boot was asked for).</summary>
    public Hypervisor? Hypervisor { get; init; }

    /// <summary>Under Xen: how the guest ran (PV, PVH, HVM).</summary>
    public XenGuestType? XenGuestType { get; init; }

    /// <summary>Under Xen: the Debian version of the Xen that ran it.</summary>
    public string? XenVersion { get; init; }

    public IReadOnlyList<GuestCommandResult> Commands { get; init; } = Array.Empty<GuestCommandResult>();

    /// <summary>All checks passed and, when a boot was asked for, it booted and every command ran.</summary>
    public bool Passed =>
        Checks.All(c => c.Passed) && (!BootTested || (Booted && Commands.All(c => c.ExitCode is not null)));

    public override string ToString() => $"{Path}: {(Passed ? "passed" : "failed")}";
}
