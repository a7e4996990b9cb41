namespace GentooImage.Engine.Platform;

/// <summary>One line of /proc/self/mountinfo.</summary>
public sealed record MountEntry(
    int MountId,
    int ParentId,
    string Device,
    string Root,
    string MountPoint,
    string MountOptions,
    string Propagation,
    string FileSystemType,
    string Source,
    string SuperOptions)
{
    /// <summary>
    /// The mount without its kernel-assigned ids: two tables are "the same" when these keys match,
    /// which includes the propagation flags (shared:N / master:N).
    /// </summary>
    public string Key =>
        $"{MountPoint} {FileSystemType} {Source} {Root} {MountOptions} {Propagation} {SuperOptions}";
}
