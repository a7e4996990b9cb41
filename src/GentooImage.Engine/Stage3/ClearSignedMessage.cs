using System.Text;

namespace GentooImage.Engine.Stage3;

/// <summary>
/// The signed text of an OpenPGP clear-signed message (RFC 4880 §7): what lies between the armor
/// header block and the signature, with dash-escaping undone. Only this part may ever be parsed;
/// text outside it is not covered by the signature.
/// </summary>
public static class ClearSignedMessage
{
    public const string BeginSigned = "-----BEGIN PGP SIGNED MESSAGE-----";
    public const string BeginSignature = "-----BEGIN PGP SIGNATURE-----";

    /// <summary>True when <paramref name="text"/> starts (after blank lines) with a clear-signed header.</summary>
    public static bool IsClearSigned(string text) =>
        text.TrimStart('\r', '\n', ' ', '\t').StartsWith(BeginSigned, StringComparison.Ordinal);

    /// <summary>
    /// Returns the signed payload. Throws <see cref="FormatException"/> when the text is not exactly one
    /// clear-signed message (missing header, missing signature, or a second signed message).
    /// </summary>
    public static string ExtractPayload(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var i = 0;
        while (i < lines.Length && lines[i].Trim().Length == 0)
        {
            i++;
        }

        if (i >= lines.Length || lines[i].TrimEnd() != BeginSigned)
        {
            throw new FormatException("The text is not an OpenPGP clear-signed message (no '" + BeginSigned + "' line).");
        }

        // Armor headers ("Hash: SHA256") up to the first empty line.
        i++;
        while (i < lines.Length && lines[i].Trim().Length != 0)
        {
            if (!lines[i].Contains(':', StringComparison.Ordinal))
            {
                throw new FormatException($"Invalid armor header line '{lines[i]}' in the clear-signed message.");
            }

            i++;
        }

        i++;
        var body = new List<string>();
        var signed = false;
        for (; i < lines.Length; i++)
        {
            if (lines[i].TrimEnd() == BeginSignature)
            {
                signed = true;
                break;
            }

            // Dash-escaped lines start with "- "; any other line starting with a dash is invalid.
            var line = lines[i];
            if (line.StartsWith("- ", StringComparison.Ordinal))
            {
                line = line[2..];
            }
            else if (line.StartsWith('-'))
            {
                throw new FormatException($"Unescaped dash line '{line}' inside the signed text.");
            }

            body.Add(line);
        }

        if (!signed)
        {
            throw new FormatException("The clear-signed message has no signature block.");
        }

        for (i++; i < lines.Length; i++)
        {
            if (lines[i].TrimEnd() == BeginSigned)
            {
                throw new FormatException("The file holds more than one clear-signed message; refusing to guess which one counts.");
            }
        }

        var sb = new StringBuilder();
        foreach (var line in body)
        {
            sb.Append(line.TrimEnd(' ', '\t')).Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>The payload of a clear-signed text, or the text itself when it is not clear-signed (for unsigned DIGESTS in DigestOnly mode).</summary>
    public static string PayloadOrText(string text) =>
        text.IndexOf(BeginSigned, StringComparison.Ordinal) is var at and >= 0
            ? ExtractPayload(text[at..]) // text before the signed part is not part of the message
            : text.Replace("\r\n", "\n", StringComparison.Ordinal);
}
