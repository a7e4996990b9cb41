using System.Globalization;
using System.Text.RegularExpressions;

namespace GentooImage.Engine.Stage3;

/// <summary>Names and URLs of the release-engineering mirror layout (releases/&lt;arch&gt;/autobuilds/).</summary>
public static partial class Stage3Names
{
    /// <summary>Flavors release engineering publishes latest pointers for (used for tab completion; others are allowed).</summary>
    public static IReadOnlyList<string> KnownFlavors { get; } = new[]
    {
        "amd64-openrc", "amd64-systemd", "amd64-desktop-openrc", "amd64-desktop-systemd",
        "amd64-nomultilib-openrc", "amd64-nomultilib-systemd", "amd64-hardened-openrc", "amd64-hardened-systemd",
        "amd64-hardened-selinux-openrc", "amd64-hardened-nomultilib-openrc", "amd64-musl", "amd64-musl-hardened",
        "amd64-llvm-openrc", "amd64-llvm-systemd", "arm64-openrc", "arm64-systemd", "arm64-desktop-openrc",
        "arm64-desktop-systemd", "arm64-musl",
    };

    public const string DefaultFlavor = "amd64-openrc";

    public const string DefaultMirror = "https://distfiles.gentoo.org";

    [GeneratedRegex(@"(\d{8}T\d{6}Z)")]
    private static partial Regex TimestampRegex();

    [GeneratedRegex(@"^[a-z0-9]+(-[a-z0-9]+)*$")]
    private static partial Regex FlavorRegex();

    [GeneratedRegex(@"^\d{8}T\d{6}Z$")]
    private static partial Regex BuildDateRegex();

    /// <summary>The arch directory of a flavor: the part before the first dash (amd64-openrc -> amd64).</summary>
    public static string ArchOf(string flavor) => flavor.Split('-')[0];

    public static bool IsValidFlavor(string flavor) => FlavorRegex().IsMatch(flavor);

    public static bool IsValidBuildDate(string buildDate) => BuildDateRegex().IsMatch(buildDate);

    /// <summary>The autobuilds directory URL for a flavor, with a trailing slash.</summary>
    public static Uri AutobuildsUri(Uri mirror, string flavor) =>
        new(mirror.AbsoluteUri.TrimEnd('/') + $"/releases/{ArchOf(flavor)}/autobuilds/");

    public static Uri PointerUri(Uri mirror, string flavor) =>
        new(AutobuildsUri(mirror, flavor), $"latest-stage3-{flavor}.txt");

    public static string TarballName(string flavor, string buildDate) => $"stage3-{flavor}-{buildDate}.tar.xz";

    public static Uri PinnedUri(Uri mirror, string flavor, string buildDate) =>
        new(AutobuildsUri(mirror, flavor), $"{buildDate}/{TarballName(flavor, buildDate)}");

    /// <summary>The build timestamp in a name or path (20260811T083102Z), or null.</summary>
    public static string? TimestampOf(string nameOrPath)
    {
        var m = TimestampRegex().Match(nameOrPath);
        return m.Success ? m.Groups[1].Value : null;
    }

    public static DateTimeOffset? ParseTimestamp(string? ts) =>
        ts is not null && DateTimeOffset.TryParseExact(ts, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var d)
            ? d
            : null;

    /// <summary>The flavor in a file name like stage3-amd64-openrc-20260811T083102Z.tar.xz, or null.</summary>
    public static string? FlavorOf(string fileName)
    {
        var ts = TimestampOf(fileName);
        if (!fileName.StartsWith("stage3-", StringComparison.Ordinal) || ts is null)
        {
            return null;
        }

        var end = fileName.IndexOf("-" + ts, StringComparison.Ordinal);
        return end > 7 ? fileName[7..end] : null;
    }
}
