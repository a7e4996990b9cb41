using System.Globalization;
using System.Text.RegularExpressions;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Image;

/// <summary>
/// The image stage's units (<see cref="MiB"/>, <see cref="SectorsPerMiB"/>; the files that use them
/// say <c>using static</c>) and the parser of sizes such as "4GB", "4G", "4GiB", "512M",
/// "1073741824" (units are powers of 1024).
/// </summary>
internal static partial class SizeText
{
    public const long MiB = 1024 * 1024;

    /// <summary>Bytes in a disk sector: partitions are planned and written in these.</summary>
    public const long SectorSize = 512;

    public const long SectorsPerMiB = MiB / SectorSize;

    [GeneratedRegex(@"^\s*(?<n>\d+(\.\d+)?)\s*(?<u>[KMGT]?)(i?B)?\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex Pattern();

    public static long Parse(string text)
    {
        var m = Pattern().Match(text);
        if (!m.Success)
        {
            throw new GentooImageException(ErrorKind.InvalidArgument, $"'{text}' is not a size. Use bytes or a number with K, M, G or T (e.g. 4GB, 4G, 512MiB).", text);
        }

        var n = double.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
        var mult = m.Groups["u"].Value.ToUpperInvariant() switch
        {
            "K" => 1L << 10,
            "M" => 1L << 20,
            "G" => 1L << 30,
            "T" => 1L << 40,
            _ => 1L,
        };
        return (long)Math.Ceiling(n * mult);
    }
}
