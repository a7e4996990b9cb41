namespace GentooImage.Engine.Stage3;

/// <summary>How much of a stage3 is checked before it is extracted.</summary>
public enum Stage3Verification
{
    /// <summary>OpenPGP signature of the DIGESTS (and of the latest pointer) by a trusted key, then SHA512 and BLAKE2B.</summary>
    Full,
    /// <summary>SHA512 and BLAKE2B against the DIGESTS, whose signature is not checked.</summary>
    DigestOnly,
    /// <summary>Nothing is checked.</summary>
    None,
}
