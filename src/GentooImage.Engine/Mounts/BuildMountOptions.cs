namespace GentooImage.Engine.Mounts;

/// <summary>What Mount-BuildFilesystems mounts besides the fixed set.</summary>
public sealed record BuildMountOptions
{
    /// <summary>Size of the /var/tmp/portage tmpfs in bytes; null: tmpfs's default (half of RAM).</summary>
    public long? PortageTmpfsSize { get; init; }

    /// <summary>Do not mount a tmpfs on /var/tmp/portage.</summary>
    public bool NoPortageTmpfs { get; init; }

    /// <summary>Host directory bind-mounted at /var/cache/distfiles, or null.</summary>
    public string? DistfilesCache { get; init; }

    /// <summary>Host directory bind-mounted at /var/cache/binpkgs, or null.</summary>
    public string? BinpkgCache { get; init; }
}
