namespace GentooImage.Engine.Stage3;

/// <summary>
/// A parsed <c>.DIGESTS</c> file (catalyst format): stanzas "# &lt;ALGO&gt; HASH" followed by
/// "&lt;hex&gt;  &lt;file&gt;" lines. Entries are looked up by algorithm AND file name, never by
/// position (the first stanza is BLAKE2B, and the CONTENTS.gz stanzas follow).
/// </summary>
public sealed class Stage3Digests
{
    public const string Sha512 = "SHA512";
    public const string Blake2b = "BLAKE2B";

    private Stage3Digests(IReadOnlyList<DigestEntry> entries) => Entries = entries;

    public IReadOnlyList<DigestEntry> Entries { get; }

    /// <summary>Parses the payload (a clear-signed text is accepted and only its signed part read).</summary>
    public static Stage3Digests Parse(string text)
    {
        var payload = ClearSignedMessage.PayloadOrText(text);
        var entries = new List<DigestEntry>();
        string? algorithm = null;
        foreach (var raw in payload.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith('#'))
            {
                algorithm = ParseHeader(line);
                continue;
            }

            if (algorithm is null)
            {
                continue; // a hash line outside any stanza names no algorithm: ignore it
            }

            var parts = line.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2 || !parts[0].All(Uri.IsHexDigit))
            {
                throw new FormatException($"DIGESTS line '{line}' is not '<hex-digest>  <file>'.");
            }

            // 2022 files named CONTENTS by an absolute build path; the binary-mode marker '*' may precede a name.
            var name = parts[1].Trim().TrimStart('*');
            name = name[(name.LastIndexOf('/') + 1)..];
            entries.Add(new DigestEntry(algorithm, parts[0].ToLowerInvariant(), name));
        }

        return new Stage3Digests(entries);
    }

    /// <summary>The digest for <paramref name="fileName"/> with <paramref name="algorithm"/>, or null.</summary>
    public string? Find(string algorithm, string fileName)
    {
        var matches = Entries.Where(e => e.Algorithm == algorithm && e.FileName == fileName).Select(e => e.Hash).Distinct().ToList();
        return matches.Count switch
        {
            0 => null,
            1 => matches[0],
            _ => throw new FormatException($"The DIGESTS list different {algorithm} hashes for '{fileName}'."),
        };
    }

    /// <summary>"# BLAKE2B HASH" -> BLAKE2B; "# BLAKE2 (b2sum) HASH" (2022) -> BLAKE2B; "# SHA512 HASH" -> SHA512.</summary>
    private static string ParseHeader(string line)
    {
        var h = line.TrimStart('#').Trim();
        if (h.EndsWith(" HASH", StringComparison.OrdinalIgnoreCase))
        {
            h = h[..^5].Trim();
        }

        h = h.ToUpperInvariant();
        return h is "BLAKE2 (B2SUM)" or "BLAKE2" or "BLAKE2B512" ? Blake2b : h;
    }
}
