using System.Text;
using GentooImage.Engine.Model;
using static GentooImage.Engine.Image.SizeText;

namespace GentooImage.Engine.Image;

/// <summary>
/// The plan of a disk image: partitions, sizes, UUIDs, kernel and command line. Made by
/// <see cref="DiskImageBuilder.Plan"/> (<see cref="DiskImagePlanner"/>) without writing anything
/// (this is what -WhatIf shows), then carried out by DiskImageBuilder.Build.
/// </summary>
public sealed record DiskImageLayout
{
    public required DiskImageRequest Request { get; init; }

    public PartitionTableKind PartitionTable { get; init; }

    /// <summary>Virtual size of the disk in bytes (a multiple of 1 MiB).</summary>
    public long SizeBytes { get; init; }

    /// <summary>Bytes the root's files occupy (what goes into the image).</summary>
    public long UsedBytes { get; init; }

    /// <summary>The smallest size this root fits in.</summary>
    public long MinimumBytes { get; init; }

    /// <summary>Files and directories that go into the image.</summary>
    public long EntryCount { get; init; }

    public IReadOnlyList<ImagePartition> Partitions { get; init; } = Array.Empty<ImagePartition>();

    /// <summary>MBR disk signature (8 hex digits) or GPT disk GUID.</summary>
    public required string DiskId { get; init; }

    public required string RootUuid { get; init; }

    /// <summary>FAT volume id of the ESP ("1A2B-3C4D"), or null without one.</summary>
    public string? EspVolumeId { get; init; }

    /// <summary>Kernel path inside the root ("/boot/vmlinuz-6.1.0").</summary>
    public required string Kernel { get; init; }

    public string? Initramfs { get; init; }

    public required string CommandLine { get; init; }

    /// <summary>Paths (inside the root) whose contents stay out of the image.</summary>
    public IReadOnlyList<string> Excluded { get; init; } = Array.Empty<string>();

    /// <summary>Something is mounted below the root: its files go through a staging tree of hard links.</summary>
    public bool HasMountsBelow { get; init; }

    /// <summary>The boot loaders chosen from the firmware when the layout was planned (<see cref="BootLoader.For"/>), in disk order.</summary>
    internal IReadOnlyList<BootLoader> BootLoaders { get; init; } = Array.Empty<BootLoader>();

    public ImagePartition Root => Partitions.Single(p => p.Role == "root");

    public ImagePartition? Esp => Partitions.SingleOrDefault(p => p.Role == "esp");

    /// <summary>Several lines describing the layout (the -WhatIf text; -Firmware appears as a name only).</summary>
    public string Describe()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"{Request.ImagePath}: {Request.Format}, {SizeBytes / MiB} MiB ({PartitionTable}, {Request.Firmware})");
        sb.AppendLine($"  root {Request.RootPath}: {UsedBytes / (double)MiB:0.#} MiB in {EntryCount} entries (needs at least {MinimumBytes / MiB} MiB)");
        foreach (var p in Partitions.OrderBy(p => p.StartSector))
        {
            sb.AppendLine("  " + p);
        }

        sb.AppendLine($"  root file system: {Request.FileSystem} label '{Request.Label}' uuid {RootUuid}");
        sb.AppendLine($"  kernel: {Kernel}{(Initramfs is null ? " (no initramfs)" : $" initramfs {Initramfs}")}");
        sb.Append($"  command line: {CommandLine}");
        return sb.ToString();
    }
}
