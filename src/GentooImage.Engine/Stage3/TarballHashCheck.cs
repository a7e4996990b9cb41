using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Stage3;

/// <summary>
/// The tarball's SHA512 and BLAKE2B against its verified DIGESTS: what is expected is read from the
/// DIGESTS first (<see cref="From"/>, before anything runs), the file is hashed by <see cref="CheckAsync"/>.
/// A mismatch deletes a cached download, so a bad copy is never trusted on the next run either.
/// </summary>
internal sealed class TarballHashCheck
{
    private readonly Stage3Plan _plan;
    private readonly string _sha512;
    private readonly string? _blake2b;

    private TarballHashCheck(Stage3Plan plan, string sha512, string? blake2b)
    {
        _plan = plan;
        _sha512 = sha512;
        _blake2b = blake2b;
    }

    /// <summary>The hashes the DIGESTS give for the planned file; refuses DIGESTS without a SHA512 for it or with two different ones.</summary>
    public static TarballHashCheck From(Stage3Plan plan, Stage3Digests digests)
    {
        string? sha, b2;
        try
        {
            sha = digests.Find(Stage3Digests.Sha512, plan.FileName);
            b2 = digests.Find(Stage3Digests.Blake2b, plan.FileName);
        }
        catch (FormatException ex)
        {
            // Two different hashes for one file: the DIGESTS contradict themselves.
            throw new GentooImageException(ErrorKind.Stage3DigestMismatch,
                $"'{plan.DigestsSource}' is inconsistent: {ex.Message}. Nothing was extracted; get the files from another mirror.", plan.DigestsSource, ex);
        }

        if (sha is null)
        {
            throw new GentooImageException(ErrorKind.Stage3DigestsMissing,
                $"'{plan.DigestsSource}' has no SHA512 hash for '{plan.FileName}'. It belongs to another file; get the matching .DIGESTS.",
                plan.DigestsSource);
        }

        return new TarballHashCheck(plan, sha, b2);
    }

    /// <summary>Hashes <paramref name="tarball"/> (both hashes at once) and returns its SHA512, or throws <see cref="ErrorKind.Stage3DigestMismatch"/>.</summary>
    public async Task<string> CheckAsync(string tarball, OperationContext ctx, IProcessRunner runner)
    {
        var (sha, b2) = await FileDigests.ComputeAsync(tarball, _blake2b is not null, ctx, runner).ConfigureAwait(false);
        var bad = new List<string>();
        if (!string.Equals(sha, _sha512, StringComparison.Ordinal))
        {
            bad.Add($"SHA512 is {sha}, the DIGESTS say {_sha512}");
        }

        if (_blake2b is not null && !string.Equals(b2, _blake2b, StringComparison.Ordinal))
        {
            bad.Add($"BLAKE2B is {b2}, the DIGESTS say {_blake2b}");
        }

        if (bad.Count > 0)
        {
            var cached = _plan.IsRemote;
            if (cached)
            {
                File.Delete(tarball); // a bad download must not be trusted next time either
            }

            throw new GentooImageException(ErrorKind.Stage3DigestMismatch,
                $"{_plan.FileName} does not match its DIGESTS: {string.Join("; ", bad)}. The file is damaged or was tampered with; nothing of it was extracted into the root{(cached ? " and the cached copy was deleted — run again to download it anew" : string.Empty)}.",
                tarball);
        }

        ctx.Verbose($"{_plan.FileName}: SHA512{(_blake2b is null ? string.Empty : " and BLAKE2B")} match the DIGESTS.");
        return sha;
    }
}
