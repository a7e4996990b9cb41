namespace GentooImage.Engine.Stage3;

/// <summary>What New-Stage3Root was asked to do (the cmdlet's parameters, resolved to absolute paths).</summary>
public sealed record Stage3Request
{
    /// <summary>The Gentoo release engineering (automated weekly release) key.</summary>
    public const string GentooReleaseKey = "13EBBDBEDE7A12775DFDB1BABB572E0E2D182910";

    /// <summary>Where the packaged key lives on Gentoo (sec-keys/openpgp-keys-gentoo-release).</summary>
    public const string SystemKeyring = "/usr/share/openpgp-keys/gentoo-release.asc";

    /// <summary>Absolute path of the build root.</summary>
    public required string RootPath { get; init; }

    /// <summary>A local .tar.xz path or an http(s) URL; null to resolve the latest (or -BuildDate) build from the mirror.</summary>
    public string? Stage3 { get; init; }

    public string Flavor { get; init; } = Stage3Names.DefaultFlavor;

    public Uri Mirror { get; init; } = new(Stage3Names.DefaultMirror);

    public string? BuildDate { get; init; }

    public required string CacheDirectory { get; init; }

    public Stage3Verification Verification { get; init; } = Stage3Verification.Full;

    public IReadOnlyList<string> TrustedFingerprints { get; init; } = new[] { GentooReleaseKey };

    public string? KeyringPath { get; init; }

    public int MaxAgeDays { get; init; } = 30;

    public bool Force { get; init; }

    /// <summary>The default cache: $XDG_CACHE_HOME/gentooimage/stage3, else ~/.cache/gentooimage/stage3.</summary>
    public static string DefaultCacheDirectory()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var baseDir = !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(baseDir, "gentooimage", "stage3");
    }
}
