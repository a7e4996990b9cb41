namespace GentooImage.Engine.Model;

/// <summary>What was extracted into a build root and how far it was trusted.</summary>
public sealed record Stage3Info
{
    /// <summary>File name of the tarball, e.g. stage3-amd64-openrc-20260811T083102Z.tar.xz.</summary>
    public required string FileName { get; init; }

    /// <summary>Flavor, e.g. amd64-openrc (null when it cannot be told from the name).</summary>
    public string? Flavor { get; init; }

    /// <summary>Build timestamp as in the file name, e.g. 20260811T083102Z.</summary>
    public string? BuildTimestamp { get; init; }

    /// <summary>Size of the tarball in bytes.</summary>
    public long Size { get; init; }

    /// <summary>SHA512 of the tarball, lowercase hex.</summary>
    public string? Sha512 { get; init; }

    /// <summary>How it was verified.</summary>
    public VerificationResult Verification { get; init; }

    /// <summary>Fingerprint of the key that made the signature (primary key), when signatures were checked.</summary>
    public string? SignerFingerprint { get; init; }

    /// <summary>The URL or local path it came from.</summary>
    public required string Source { get; init; }

    /// <summary>When the extraction finished.</summary>
    public DateTimeOffset ExtractedAt { get; init; }
}
