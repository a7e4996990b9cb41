using GentooImage.Engine.Model;

namespace GentooImage.Engine.Boot;

/// <summary>What to start in QEMU.</summary>
public sealed record QemuOptions
{
    /// <summary>The disk image to boot (never written: QEMU runs it with -snapshot).</summary>
    public required string ImagePath { get; init; }

    /// <summary>raw or qcow2.</summary>
    public string ImageFormat { get; init; } = "raw";

    /// <summary>Bios (SeaBIOS) or Uefi (OVMF). Hybrid is not a VM firmware: pick one.</summary>
    public BootFirmware Firmware { get; init; } = BootFirmware.Bios;

    /// <summary>Kvm or Tcg (resolve Auto with <see cref="AcceleratorProbe"/> first).</summary>
    public Accelerator Accelerator { get; init; } = Accelerator.Tcg;

    public int MemoryMB { get; init; } = 512;

    /// <summary>Attach a virtio NIC on QEMU's user network (DHCP from 10.0.2.2).</summary>
    public bool Network { get; init; } = true;

    /// <summary>Where the serial console output is written as it arrives.</summary>
    public string? SerialLogPath { get; init; }

    /// <summary>
    /// Boot Xen (with its dom0) instead of the image; the image becomes the dom0's second disk and
    /// Xen's guest. Firmware and Network then do not apply: the guest's NIC is on a bridge in dom0.
    /// </summary>
    public XenBoot? Xen { get; init; }

    /// <summary>OVMF code image (Debian's ovmf package).</summary>
    public string OvmfCodePath { get; init; } = "/usr/share/OVMF/OVMF_CODE.fd";

    /// <summary>OVMF variable store template, copied per run.</summary>
    public string OvmfVarsPath { get; init; } = "/usr/share/OVMF/OVMF_VARS.fd";
}
