namespace GentooImage.Engine.Guest;

/// <summary>What Initialize-CloudGuest should do; the defaults make an OpenStack guest.</summary>
public sealed class GuestOptions
{
    /// <summary>The init system, or null to detect it from the root.</summary>
    public InitSystem? InitSystem { get; set; }

    /// <summary>Parts to leave alone.</summary>
    public ISet<GuestPart> Skip { get; set; } = new HashSet<GuestPart>();

    public RootPasswordMode RootPassword { get; set; } = RootPasswordMode.Locked;

    /// <summary>cloud-init's datasource_list, in order.</summary>
    public IList<CloudDatasource> Datasources { get; set; } =
        new List<CloudDatasource> { CloudDatasource.OpenStack, CloudDatasource.ConfigDrive, CloudDatasource.NoCloud };

    /// <summary>Also empty /var/cache/distfiles.</summary>
    public bool CleanPortage { get; set; }

    public string Hostname { get; set; } = "gentoo";

    /// <summary>A zoneinfo name such as "UTC" or "Europe/Berlin".</summary>
    public string Timezone { get; set; } = "UTC";

    public bool Includes(GuestPart part) => !Skip.Contains(part);
}
