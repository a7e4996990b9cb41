namespace GentooImage.Engine.Model;

/// <summary>The partition table of a disk image.</summary>
public enum PartitionTableKind
{
    /// <summary>MS-DOS (MBR) partition table.</summary>
    Mbr,
    /// <summary>GUID partition table.</summary>
    Gpt,
}
