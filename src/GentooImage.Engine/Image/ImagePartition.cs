using static GentooImage.Engine.Image.SizeText;

namespace GentooImage.Engine.Image;

/// <summary>One partition of a planned disk image (sectors of 512 bytes).</summary>
public sealed record ImagePartition
{
    public int Number { get; init; }

    /// <summary>"root", "esp" or "bios-boot".</summary>
    public required string Role { get; init; }

    public long StartSector { get; init; }

    /// <summary>Size in sectors; 0 = to the end of the disk (the actual size is read back from the table).</summary>
    public long SizeSectors { get; init; }

    /// <summary>MBR type byte (hex, "83") or GPT type GUID.</summary>
    public required string Type { get; init; }

    /// <summary>GPT partition GUID (MBR: &lt;disk signature&gt;-&lt;NN&gt;).</summary>
    public required string PartUuid { get; init; }

    public long StartBytes => StartSector * SectorSize;

    public override string ToString() =>
        $"{Number,3} {Role,-9} start {StartBytes / (double)MiB,8:0.##} MiB  size {(SizeSectors == 0 ? "rest of disk" : $"{SizeSectors * SectorSize / (double)MiB:0.##} MiB")}  type {Type}  partuuid {PartUuid}";
}
