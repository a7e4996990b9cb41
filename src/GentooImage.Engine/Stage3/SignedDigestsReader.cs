using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Stage3;

/// <summary>
/// Gets the stage3's DIGESTS (from the mirror, the cache when the mirror is unreachable, or beside a
/// local file) and, with Full verification, accepts only its signed payload from a trusted key.
/// </summary>
internal sealed class SignedDigestsReader
{
    private readonly OpenPgpVerifier _pgp;

    public SignedDigestsReader(OpenPgpVerifier pgp) => _pgp = pgp;

    /// <summary>The parsed DIGESTS and the signer's primary fingerprint; (null, null) with -Verification None.</summary>
    public async Task<(Stage3Digests? Digests, string? Signer)> ReadAsync(Stage3Plan plan, Stage3Downloader downloader, OperationContext ctx)
    {
        var request = plan.Request;
        if (request.Verification == Stage3Verification.None)
        {
            ctx.Warning($"VERIFICATION IS OFF (-Verification None): {plan.FileName} is extracted without checking its signature or digests. Anyone who could change the file or the mirror controls this root.");
            return (null, null);
        }

        var digestsFile = plan.IsRemote
            ? await FetchAsync(plan, downloader, ctx).ConfigureAwait(false)
            : File.Exists(plan.DigestsSource) ? plan.DigestsSource
            : File.Exists(plan.Source + ".DIGESTS.asc") ? plan.Source + ".DIGESTS.asc"
            : throw Stage3Errors.DigestsMissing(plan.DigestsSource);

        string payload;
        string? signer = null;
        if (request.Verification == Stage3Verification.Full)
        {
            var keyring = await new ReleaseKeyring(_pgp).ResolveAsync(request, downloader, ctx).ConfigureAwait(false);
            var (verdict, signed) = await _pgp.VerifyClearSignedAsync(digestsFile, keyring, request.TrustedFingerprints, ctx.Cancellation).ConfigureAwait(false);
            if (!verdict.IsGood || signed is null)
            {
                throw Stage3Errors.SignatureInvalid(plan.DigestsSource, verdict);
            }

            ctx.Verbose($"{Path.GetFileName(digestsFile)}: good signature by {verdict.SigningKeyFingerprint} (primary key {verdict.PrimaryKeyFingerprint}).");
            signer = verdict.PrimaryKeyFingerprint;
            payload = signed;
        }
        else
        {
            ctx.Warning($"Signatures are NOT checked (-Verification DigestOnly): the hashes of {plan.FileName} are compared with a DIGESTS file nobody vouched for.");
            payload = await File.ReadAllTextAsync(digestsFile, ctx.Cancellation).ConfigureAwait(false);
        }

        try
        {
            return (Stage3Digests.Parse(payload), signer);
        }
        catch (FormatException ex)
        {
            throw new GentooImageException(ErrorKind.Stage3DigestsMissing, $"'{plan.DigestsSource}' is not a DIGESTS file: {ex.Message}", plan.DigestsSource, ex);
        }
    }

    /// <summary>Downloads the DIGESTS into the cache (the cached copy is used, and verified again, when the mirror is unreachable).</summary>
    private static async Task<string> FetchAsync(Stage3Plan plan, Stage3Downloader downloader, OperationContext ctx)
    {
        var uri = new Uri(plan.DigestsSource);
        var cached = downloader.CachePathOf(uri);
        byte[]? bytes;
        try
        {
            bytes = await downloader.GetSmallAsync(uri, ctx).ConfigureAwait(false);
        }
        catch (GentooImageException ex) when (ex.Kind == ErrorKind.Stage3DownloadFailed && File.Exists(cached))
        {
            ctx.Warning($"The mirror is unreachable ({ex.Message}); using the cached {cached}, verified again now.");
            bytes = await File.ReadAllBytesAsync(cached, ctx.Cancellation).ConfigureAwait(false);
        }

        if (bytes is null)
        {
            if (!await downloader.ExistsAsync(new Uri(plan.Source), ctx).ConfigureAwait(false))
            {
                throw new GentooImageException(ErrorKind.Stage3NotFound,
                    $"The mirror has no '{plan.Source}'. Check -Flavor, -BuildDate and -Mirror; old builds are removed from mirrors.",
                    plan.Source);
            }

            throw Stage3Errors.DigestsMissing(plan.DigestsSource);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(cached)!);
        await AtomicFile.WriteBytesAsync(cached, bytes, ctx.Cancellation).ConfigureAwait(false);
        return cached;
    }
}
