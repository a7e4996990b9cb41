namespace GentooImage.Engine.Model;

/// <summary>One requested kernel symbol and what became of it.</summary>
public sealed record KernelConfigRow(
    string Symbol,
    string Requested,
    string? Actual,
    KernelConfigStatus Status,
    string? Reason)
{
    /// <summary>Where the requested value came from: "Preset OpenStack", "file:line" of a fragment, or a -Setting entry.</summary>
    public string? Source { get; init; }

    /// <summary>True when the requested value is the value in the final configuration.</summary>
    public bool Holds => Status is KernelConfigStatus.Applied or KernelConfigStatus.AlreadySet
        || (Status == KernelConfigStatus.NotSettable && string.Equals(Requested, Actual ?? "n", StringComparison.Ordinal));
}
