using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Mounts;

/// <summary>One mount of the plan. <see cref="PathInRoot"/> is resolved right before mounting.</summary>
internal sealed record PlannedMount(
    string PathInRoot,
    string Source,
    string? FsType,
    ulong Flags,
    string? Data,
    ulong Propagation,
    string Type,
    string Options,
    bool IsFile = false,
    bool SourceInRoot = false)
{
    /// <summary>Mount points that live on a bind of a host tree: never created, only used.</summary>
    internal bool OnHostTree => PathInRoot.StartsWith("/dev/", StringComparison.Ordinal);

    internal static ulong Slave => LibC.MS_SLAVE;

    internal static ulong RecursiveSlave => LibC.MS_REC | LibC.MS_SLAVE;
}
