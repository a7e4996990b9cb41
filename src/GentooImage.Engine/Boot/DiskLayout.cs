namespace GentooImage.Engine.Boot;

/// <summary>The partition table of an image as sfdisk reads it, with the partitions that matter for booting.</summary>
public sealed record DiskLayout(string Label, string DiskId, IReadOnlyList<DiskPartition> Partitions)
{
    public DiskPartition? Root => Partitions.FirstOrDefault(p => p.IsRoot);

    public DiskPartition? Esp => Partitions.FirstOrDefault(p => p.IsEsp);

    public DiskPartition? BiosBoot => Partitions.FirstOrDefault(p => p.IsBiosBoot);
}
