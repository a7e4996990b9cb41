namespace GentooImage.Engine.Guest;

/// <summary>cloud-init datasources, spelled as cloud-init's <c>datasource_list</c> spells them.</summary>
public enum CloudDatasource
{
    /// <summary>The OpenStack metadata service (169.254.169.254).</summary>
    OpenStack,

    /// <summary>An OpenStack config drive (ISO9660/vfat labelled config-2).</summary>
    ConfigDrive,

    /// <summary>Local seed files or a cidata volume (tests, bare QEMU).</summary>
    NoCloud,

    /// <summary>The EC2-compatible metadata service.</summary>
    Ec2,

    /// <summary>cloud-init's fallback that finds nothing.</summary>
    None,
}
