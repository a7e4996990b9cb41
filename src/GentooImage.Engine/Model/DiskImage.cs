namespace GentooImage.Engine.Model;

/// <summary>A disk image written by New-RawDiskImage, with what is needed to upload and boot it.</summary>
public sealed record DiskImage
{
    /// <summary>Absolute path of the image file.</summary>
    public required string Path { get; init; }

    public DiskImageFormat Format { get; init; }

    /// <summary>Size of the disk the image represents, in bytes.</summary>
    public long VirtualSize { get; init; }

    /// <summary>Bytes the image file occupies on disk (it is sparse).</summary>
    public long AllocatedSize { get; init; }

    public PartitionTableKind PartitionTable { get; init; }

    public BootFirmware Firmware { get; init; }

    /// <summary>File system UUID of the root partition.</summary>
    public required string RootUuid { get; init; }

    /// <summary>Partition UUID of the root partition (MBR: &lt;disk signature&gt;-&lt;NN&gt;).</summary>
    public required string RootPartUuid { get; init; }

    /// <summary>The kernel the boot loader starts, as a path inside the image.</summary>
    public required string Kernel { get; init; }

    /// <summary>The initramfs the boot loader loads, or null.</summary>
    public string? Initramfs { get; init; }

    /// <summary>The kernel command line.</summary>
    public required string CommandLine { get; init; }

    /// <summary>SHA256 of the image file, lowercase hex (also in &lt;image&gt;.sha256).</summary>
    public required string Sha256 { get; init; }

    /// <summary>SHA512 of the image file, lowercase hex, when asked for (-Checksum Sha256,Sha512); otherwise null.</summary>
    public string? Sha512 { get; init; }

    /// <summary>Glance image properties (also in &lt;image&gt;.glance.json).</summary>
    public IReadOnlyDictionary<string, string> GlanceProperties { get; init; } = new Dictionary<string, string>();

    /// <summary>The matching 'openstack image create' command line.</summary>
    public required string UploadCommand { get; init; }

    public override string ToString() => Path;
}
