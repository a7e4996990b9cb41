using GentooImage.Engine.Model;

namespace GentooImage.Engine.Boot;

/// <summary>What Test-RawDiskImage should check.</summary>
public sealed record ImageTestOptions
{
    public required string ImagePath { get; init; }

    public ImageExpectations Expected { get; init; } = new();

    /// <summary>Start the image in QEMU and wait for <see cref="Pattern"/>.</summary>
    public bool Boot { get; init; }

    public Accelerator Accelerator { get; init; } = Accelerator.Auto;

    /// <summary>Firmware to boot with; null: from the image (Bios when it has BIOS boot code).</summary>
    public BootFirmware? Firmware { get; init; }

    public int MemoryMB { get; init; } = 512;

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>Regular expression that means "booted" on the serial console.</summary>
    public string Pattern { get; init; } = @"login:\s*$";

    public IReadOnlyList<string> Commands { get; init; } = Array.Empty<string>();

    public string User { get; init; } = "root";

    public string? Password { get; init; }

    public string? SerialLogPath { get; init; }

    /// <summary>Kvm (QEMU directly) or Xen (Xen and a dom0 inside QEMU, the image as the guest).</summary>
    public Hypervisor Hypervisor { get; init; } = Hypervisor.Kvm;

    /// <summary>Under Xen: PV, PVH or HVM.</summary>
    public XenGuestType XenGuestType { get; init; } = XenGuestType.Pv;

    /// <summary>Under Xen, for PV guests: pvgrub2 or pygrub.</summary>
    public XenBootLoader XenBootLoader { get; init; } = XenBootLoader.PvGrub;

    /// <summary>Where the Xen test host is cached (built there on first use).</summary>
    public string XenHostCache { get; init; } = XenHostBuilder.DefaultCacheRoot;
}
