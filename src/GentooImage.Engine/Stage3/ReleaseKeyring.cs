using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Stage3;

/// <summary>
/// Finds the keyring the signatures are checked against: -KeyringPath, else the packaged Gentoo key,
/// else a cached copy, else fetched from keys.gentoo.org and accepted only if its fingerprint is trusted.
/// </summary>
internal sealed class ReleaseKeyring
{
    private readonly OpenPgpVerifier _pgp;

    public ReleaseKeyring(OpenPgpVerifier pgp) => _pgp = pgp;

    public async Task<string> ResolveAsync(Stage3Request request, Stage3Downloader downloader, OperationContext ctx)
    {
        if (request.KeyringPath is { } given)
        {
            return given;
        }

        if (File.Exists(Stage3Request.SystemKeyring))
        {
            return Stage3Request.SystemKeyring;
        }

        var cached = Path.Combine(request.CacheDirectory, "keys", "release-keys.asc");
        if (File.Exists(cached))
        {
            return cached;
        }

        foreach (var fpr in request.TrustedFingerprints)
        {
            var uri = new Uri($"https://keys.gentoo.org/pks/lookup?op=get&options=mr&search=0x{SignatureVerdict.NormalizeFingerprint(fpr)}");
            ctx.Verbose($"Fetching the release key {fpr} from {uri}.");
            var bytes = await downloader.GetSmallAsync(uri, ctx).ConfigureAwait(false);
            if (bytes is null)
            {
                continue;
            }

            // Written beside the cache entry and put in place only once it holds the trusted key.
            var tmp = AtomicFile.TempPathFor(cached);
            Directory.CreateDirectory(Path.GetDirectoryName(cached)!);
            try
            {
                await File.WriteAllBytesAsync(tmp, bytes, ctx.Cancellation).ConfigureAwait(false);
                var fprs = await _pgp.PrimaryFingerprintsAsync(tmp, ctx.Cancellation).ConfigureAwait(false);
                if (fprs.Select(SignatureVerdict.NormalizeFingerprint).Contains(SignatureVerdict.NormalizeFingerprint(fpr)))
                {
                    AtomicFile.Commit(tmp, cached);
                    return cached;
                }
            }
            finally
            {
                File.Delete(tmp); // gone already when committed
            }
        }

        throw new GentooImageException(ErrorKind.Stage3SignatureInvalid,
            $"No public key for the trusted fingerprint(s) {string.Join(", ", request.TrustedFingerprints)} was found. Pass -KeyringPath with the release engineering key (https://www.gentoo.org/downloads/signatures/).",
            string.Join(",", request.TrustedFingerprints));
    }
}
