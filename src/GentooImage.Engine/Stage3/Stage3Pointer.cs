using System.Globalization;

namespace GentooImage.Engine.Stage3;

/// <summary>
/// The content of a <c>latest-stage3-&lt;flavor&gt;.txt</c> pointer: the path of the newest build,
/// relative to the autobuilds directory, its size, and when the pointer was generated.
/// </summary>
public sealed record Stage3Pointer(string RelativePath, long Size, DateTimeOffset? GeneratedAt)
{
    /// <summary>The build timestamp directory, e.g. 20260811T083102Z.</summary>
    public string? BuildTimestamp => Stage3Names.TimestampOf(RelativePath);

    /// <summary>File name of the tarball.</summary>
    public string FileName => RelativePath[(RelativePath.LastIndexOf('/') + 1)..];

    /// <summary>
    /// Parses the signed payload of a pointer (see <see cref="ClearSignedMessage"/>): '#' lines are
    /// comments ("# ts=&lt;unix&gt;" gives <see cref="GeneratedAt"/>); the first other line is
    /// "&lt;relative-path&gt; &lt;size&gt;". A clear-signed text is accepted and only its payload read.
    /// </summary>
    public static Stage3Pointer Parse(string text)
    {
        var payload = ClearSignedMessage.PayloadOrText(text);
        DateTimeOffset? generated = null;
        foreach (var raw in payload.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith('#'))
            {
                var c = line.TrimStart('#').Trim();
                if (c.StartsWith("ts=", StringComparison.Ordinal) &&
                    long.TryParse(c[3..], NumberStyles.None, CultureInfo.InvariantCulture, out var ts))
                {
                    generated = DateTimeOffset.FromUnixTimeSeconds(ts);
                }

                continue;
            }

            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2 || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size))
            {
                throw new FormatException($"Pointer line '{line}' is not '<relative-path> <size>'.");
            }

            var path = parts[0];
            if (path.StartsWith('/') || path.Split('/').Any(p => p is ".." or "." or "") || path.Contains("://", StringComparison.Ordinal))
            {
                throw new FormatException($"Pointer path '{path}' is not a plain relative path.");
            }

            return new Stage3Pointer(path, size, generated);
        }

        throw new FormatException("The pointer has no '<relative-path> <size>' line.");
    }
}
