namespace GentooImage.Engine.Boot;

/// <summary>What the caller recorded about an image (New-RawDiskImage's DiskImage), to compare the image with.</summary>
public sealed record ImageExpectations(string? PartitionTable = null, string? RootUuid = null, string? RootPartUuid = null);
