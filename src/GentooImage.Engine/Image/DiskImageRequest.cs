using GentooImage.Engine.Model;

namespace GentooImage.Engine.Image;

/// <summary>What New-RawDiskImage was asked to build.</summary>
public sealed record DiskImageRequest
{
    /// <summary>Absolute path of the root directory to put into the image.</summary>
    public required string RootPath { get; init; }

    /// <summary>Absolute path of the image file to write.</summary>
    public required string ImagePath { get; init; }

    /// <summary>Size as text ("4GB", "4G", "512MiB", bytes), or null for the default.</summary>
    public string? Size { get; init; }

    public BootFirmware Firmware { get; init; } = BootFirmware.Bios;

    /// <summary>Null: MBR for BIOS, GPT otherwise.</summary>
    public PartitionTableKind? PartitionTable { get; init; }

    public string FileSystem { get; init; } = "ext4";

    public string Label { get; init; } = "cloudimg-rootfs";

    public IReadOnlyList<string> Console { get; init; } = new[] { "tty0", "hvc0", "ttyS0,115200n8" };

    /// <summary>The build root's recorded kernel arguments (BuildRoot.KernelArguments, e.g. net.ifnames=0), appended after the consoles.</summary>
    public IReadOnlyList<string> KernelArguments { get; init; } = Array.Empty<string>();

    /// <summary>Extra kernel arguments, appended last.</summary>
    public string? KernelCommandLine { get; init; }

    /// <summary>A kernel path inside the root, or null to pick the newest in /boot.</summary>
    public string? Kernel { get; init; }

    public DiskImageFormat Format { get; init; } = DiskImageFormat.Raw;

    /// <summary>Compress a Qcow2 image.</summary>
    public bool Compress { get; init; }

    /// <summary>
    /// The checksums to compute over the finished image, in one read. SHA-256 is always computed
    /// (the .sha256 file and the history need it); SHA-512 only when listed.
    /// </summary>
    public IReadOnlyCollection<ImageChecksum> Checksums { get; init; } = new[] { ImageChecksum.Sha256 };

    /// <summary>Replace an existing image file.</summary>
    public bool Force { get; init; }
}
