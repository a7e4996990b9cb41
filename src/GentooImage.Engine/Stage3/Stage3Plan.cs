namespace GentooImage.Engine.Stage3;

/// <summary>What New-Stage3Root resolved and is about to do (shown by -WhatIf).</summary>
public sealed record Stage3Plan
{
    public required Stage3Request Request { get; init; }

    /// <summary>The tarball: a local path, or an http(s) URL.</summary>
    public required string Source { get; init; }

    /// <summary>True when <see cref="Source"/> is a URL.</summary>
    public bool IsRemote { get; init; }

    /// <summary>Where the DIGESTS are looked up (path or URL).</summary>
    public required string DigestsSource { get; init; }

    public required string FileName { get; init; }

    public string? Flavor { get; init; }

    public string? BuildTimestamp { get; init; }

    /// <summary>Size from the signed pointer, when it was used.</summary>
    public long? ExpectedSize { get; init; }

    /// <summary>Age of the latest pointer (or of the build), when it was resolved from the mirror.</summary>
    public TimeSpan? Age { get; init; }

    /// <summary>Signer of the latest pointer, when its signature was checked.</summary>
    public string? PointerSigner { get; init; }

    /// <summary>Where a download lands in the cache (null for local files).</summary>
    public string? CachePath { get; init; }

    public string Describe() =>
        $"{(IsRemote ? "Download" : "Use")} {Source}{(ExpectedSize is { } s ? $" ({s / 1048576.0:0.0} MiB)" : string.Empty)}" +
        $"{(CachePath is null ? string.Empty : $" to {CachePath}")}, verify it ({Request.Verification}) against {DigestsSource}" +
        $"{(Age is { } a ? $", build age {a.TotalDays:0.0} days" : string.Empty)}, and extract it into {Request.RootPath}" +
        $"{(Request.Force ? " (its current content is removed first)" : string.Empty)}";

    public override string ToString() => Describe();
}
