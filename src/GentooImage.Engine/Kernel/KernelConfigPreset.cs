namespace GentooImage.Engine.Kernel;

/// <summary>
/// The kernel option groups of the project's seed (a KVM/Xen cloud guest), with the seed's exact
/// lines, including its <c># CONFIG_X is not set</c> lines. <c>OpenStack</c> is all six groups.
/// </summary>
public static class KernelConfigPreset
{
    private static readonly string[] s_kvmDisk =
    {
        "CONFIG_SATA_PMP=y",
        "CONFIG_SATA_AHCI=y",
    };

    private static readonly string[] s_serialConsole =
    {
        "CONFIG_SERIAL_8250=y",
        "CONFIG_SERIAL_8250_CONSOLE=y",
        "CONFIG_SERIAL_8250_PCI=y",
    };

    private static readonly string[] s_virtio =
    {
        "CONFIG_BLK_MQ_VIRTIO=y",
        "CONFIG_VIRTIO_BLK=y",
        "CONFIG_VIRTIO_BLK_SCSI=y",
        "CONFIG_SCSI_VIRTIO=y",
        "CONFIG_VIRTIO_NET=y",
        "CONFIG_VIRTIO_CONSOLE=y",
        "CONFIG_HW_RANDOM_VIRTIO=y",
        "CONFIG_VIRTIO=y",
        "CONFIG_VIRTIO_PCI=y",
        "CONFIG_VIRTIO_PCI_LEGACY=y",
        "CONFIG_VIRTIO_BALLOON=y",
        "# CONFIG_VIRTIO_INPUT is not set",
        "CONFIG_VIRTIO_MMIO=y",
        "# CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES is not set",
        "CONFIG_CRYPTO_DEV_VIRTIO=y",
    };

    private static readonly string[] s_guestSupport =
    {
        "CONFIG_HYPERVISOR_GUEST=y",
        "CONFIG_XEN=y",
        "CONFIG_XEN_PV=y",
        "CONFIG_XEN_PV_SMP=y",
        "# CONFIG_XEN_DOM0 is not set",
        "CONFIG_XEN_PVHVM=y",
        "CONFIG_XEN_PVHVM_SMP=y",
        "CONFIG_XEN_512GB=y",
        "CONFIG_XEN_SAVE_RESTORE=y",
        "# CONFIG_XEN_PVH is not set",
        "CONFIG_KVM_GUEST=y",
    };

    private static readonly string[] s_xenDrivers =
    {
        "CONFIG_XEN_PCIDEV_FRONTEND=y",
        "CONFIG_XEN_BLKDEV_FRONTEND=y",
        "# CONFIG_XEN_SCSI_FRONTEND is not set",
        "CONFIG_XEN_NETDEV_FRONTEND=y",
        "CONFIG_HVC_XEN=y",
        "CONFIG_HVC_XEN_FRONTEND=y",
        "CONFIG_XEN_BALLOON=y",
        "CONFIG_XEN_SCRUB_PAGES=y",
        "CONFIG_XEN_DEV_EVTCHN=y",
        "CONFIG_XENFS=y",
        "CONFIG_XEN_COMPAT_XENFS=y",
        "CONFIG_XEN_SYS_HYPERVISOR=y",
        "CONFIG_XEN_XENBUS_FRONTEND=y",
        "CONFIG_XEN_GNTDEV=y",
        "CONFIG_XEN_GRANT_DEV_ALLOC=y",
        "CONFIG_SWIOTLB_XEN=y",
        "CONFIG_XEN_PRIVCMD=y",
        "CONFIG_XEN_ACPI_PROCESSOR=y",
        "CONFIG_XEN_HAVE_PVMMU=y",
        "CONFIG_XEN_AUTO_XLATE=y",
        "CONFIG_XEN_ACPI=y",
        "CONFIG_XEN_HAVE_VPMU=y",
    };

    private static readonly string[] s_kvmDrivers =
    {
        "CONFIG_E1000=m",
    };

    /// <summary>The preset names (the one list; Set-KernelConfig's -Preset ValidateSet names these constants).</summary>
    public const string KvmDisk = "KvmDisk";
    public const string SerialConsole = "SerialConsole";
    public const string Virtio = "Virtio";
    public const string GuestSupport = "GuestSupport";
    public const string XenDrivers = "XenDrivers";
    public const string KvmDrivers = "KvmDrivers";
    public const string OpenStack = "OpenStack";

    /// <summary>The catalogue: each preset and its lines, in the seed's order, OpenStack (all six) last.</summary>
    private static readonly (string Name, string[] Lines)[] s_catalogue =
    {
        (KvmDisk, s_kvmDisk),
        (SerialConsole, s_serialConsole),
        (Virtio, s_virtio),
        (GuestSupport, s_guestSupport),
        (XenDrivers, s_xenDrivers),
        (KvmDrivers, s_kvmDrivers),
        (OpenStack, s_kvmDisk.Concat(s_serialConsole).Concat(s_virtio).Concat(s_guestSupport).Concat(s_xenDrivers).Concat(s_kvmDrivers).ToArray()),
    };

    private static readonly Dictionary<string, string[]> s_presets =
        s_catalogue.ToDictionary(p => p.Name, p => p.Lines, StringComparer.OrdinalIgnoreCase);

    /// <summary>The preset names, in the seed's order, OpenStack last.</summary>
    public static IReadOnlyList<string> Names { get; } = s_catalogue.Select(p => p.Name).ToArray();

    /// <summary>True when <paramref name="name"/> is a preset (case-insensitive).</summary>
    public static bool Exists(string name) => s_presets.ContainsKey(name);

    /// <summary>The preset's lines, exactly as in the seed (kernel config fragment syntax).</summary>
    public static IReadOnlyList<string> Lines(string name) =>
        s_presets.TryGetValue(name, out var lines)
            ? lines
            : throw new Platform.GentooImageException(
                Platform.ErrorKind.InvalidArgument,
                $"'{name}' is not a kernel config preset. Use one of: {string.Join(", ", Names)}.",
                name);

    /// <summary>The preset as a fragment file text.</summary>
    public static string Text(string name) => string.Join('\n', Lines(name)) + "\n";

    /// <summary>The canonical spelling of a preset name.</summary>
    public static string Canonical(string name) =>
        Names.FirstOrDefault(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase)) ?? name;
}
