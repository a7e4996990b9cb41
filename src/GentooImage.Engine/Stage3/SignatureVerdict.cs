namespace GentooImage.Engine.Stage3;

/// <summary>
/// The outcome of one OpenPGP signature check, decided from gpg's machine-readable status lines
/// (<c>--status-fd</c>, see gnupg doc/DETAILS), never from the exit code or the human text alone.
/// Good means: exactly one signature, GOODSIG and VALIDSIG, no BADSIG/EXPSIG/EXPKEYSIG/REVKEYSIG/ERRSIG,
/// and the primary-key fingerprint of VALIDSIG is one of the trusted fingerprints (so signatures
/// made by a trusted key's subkeys are accepted).
/// </summary>
public sealed record SignatureVerdict(bool IsGood, string Reason, string? SigningKeyFingerprint, string? PrimaryKeyFingerprint, DateTimeOffset? SignedAt)
{
    /// <summary>Normalises a fingerprint: upper case hex without spaces or a 0x prefix.</summary>
    public static string NormalizeFingerprint(string fingerprint)
    {
        var f = fingerprint.Replace(" ", string.Empty, StringComparison.Ordinal).Trim();
        if (f.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            f = f[2..];
        }

        return f.ToUpperInvariant();
    }

    /// <summary>Decides the verdict from gpg status output (lines starting "[GNUPG:] ").</summary>
    public static SignatureVerdict FromStatus(string statusOutput, IEnumerable<string> trustedFingerprints)
    {
        var trusted = trustedFingerprints.Select(NormalizeFingerprint).ToHashSet(StringComparer.Ordinal);
        var records = statusOutput.Split('\n')
            .Select(l => l.TrimEnd('\r'))
            .Where(l => l.StartsWith("[GNUPG:] ", StringComparison.Ordinal))
            .Select(l => l[9..].Split(' '))
            .Where(p => p.Length > 0)
            .ToList();

        string? Arg(string keyword, int index) =>
            records.FirstOrDefault(r => r[0] == keyword) is { } r && r.Length > index ? r[index] : null;

        bool Has(string keyword) => records.Any(r => r[0] == keyword);

        var signatures = records.Count(r => r[0] is "GOODSIG" or "BADSIG" or "EXPSIG" or "EXPKEYSIG" or "REVKEYSIG" or "ERRSIG");
        var validFpr = Arg("VALIDSIG", 1);
        var primaryFpr = Arg("VALIDSIG", 10) ?? validFpr;
        DateTimeOffset? signedAt = long.TryParse(Arg("VALIDSIG", 3), out var ts) ? DateTimeOffset.FromUnixTimeSeconds(ts) : null;

        SignatureVerdict Bad(string reason) => new(false, reason, validFpr, primaryFpr, signedAt);

        if (signatures == 0)
        {
            return Bad("no signature was found");
        }

        if (signatures > 1 || records.Count(r => r[0] == "NEWSIG") > 1)
        {
            return Bad("more than one signature was found; exactly one is expected");
        }

        if (Has("BADSIG"))
        {
            return Bad($"BAD signature by key {Arg("BADSIG", 1)}: the signed file was altered");
        }

        if (Has("REVKEYSIG"))
        {
            return Bad($"the signing key {Arg("REVKEYSIG", 1)} is REVOKED");
        }

        if (Has("EXPKEYSIG"))
        {
            return Bad($"the signing key {Arg("EXPKEYSIG", 1)} has EXPIRED");
        }

        if (Has("EXPSIG"))
        {
            return Bad("the signature has expired");
        }

        if (Has("ERRSIG"))
        {
            var missing = Has("NO_PUBKEY") ? $"; the public key {Arg("NO_PUBKEY", 1)} is not in the keyring" : string.Empty;
            return Bad($"the signature could not be checked (ERRSIG){missing}");
        }

        if (!Has("GOODSIG") || validFpr is null || primaryFpr is null)
        {
            return Bad("gpg reported no GOODSIG/VALIDSIG");
        }

        // KEYEXPIRED/KEYREVOKED are not used: gpg emits them for any old subkey it meets, while the
        // signing key's own state is carried by EXPKEYSIG/REVKEYSIG instead of GOODSIG.
        if (!trusted.Contains(NormalizeFingerprint(primaryFpr)))
        {
            return Bad($"the signature is good but was made by key {primaryFpr}, which is not a trusted fingerprint ({string.Join(", ", trusted)})");
        }

        return new SignatureVerdict(true, "good signature by a trusted key", validFpr, primaryFpr, signedAt);
    }
}
