using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Stage3;

/// <summary>The errors more than one step of New-Stage3Root raises, worded once.</summary>
internal static class Stage3Errors
{
    public static GentooImageException SignatureInvalid(string what, SignatureVerdict verdict) =>
        new(ErrorKind.Stage3SignatureInvalid,
            $"The OpenPGP signature of '{what}' is not acceptable: {verdict.Reason}. Nothing was extracted. Check -TrustedFingerprint and -KeyringPath, or get the files from another mirror.",
            what);

    public static GentooImageException DigestsMissing(string where) =>
        new(ErrorKind.Stage3DigestsMissing,
            $"No DIGESTS file at '{where}'. Put the .DIGESTS file beside the tarball (it is published next to it), or use -Verification None to skip verification (not recommended).",
            where);
}
