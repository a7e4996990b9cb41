namespace GentooImage.Engine.Model;

/// <summary>How far a stage3 was verified before it was extracted.</summary>
public enum VerificationResult
{
    /// <summary>Nothing was checked (-Verification None).</summary>
    NotVerified,
    /// <summary>Hashes matched the DIGESTS, whose signature was not checked (-Verification DigestOnly).</summary>
    DigestOnly,
    /// <summary>The DIGESTS signature was good, by a trusted key, and the hashes matched.</summary>
    SignatureAndDigest,
}
