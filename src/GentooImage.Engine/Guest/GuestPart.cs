namespace GentooImage.Engine.Guest;

/// <summary>The parts of Initialize-CloudGuest, each of which can be skipped (<c>-Skip</c>).</summary>
public enum GuestPart
{
    /// <summary>A login getty on ttyS0 at 115200 and on hvc0 (Xen PV/PVH), each only where its console exists.</summary>
    SerialConsole,

    /// <summary>DHCP on every wired interface.</summary>
    Network,

    /// <summary>sshd enabled, build-time host keys removed.</summary>
    Ssh,

    /// <summary>The root password in /etc/shadow (locked or empty).</summary>
    RootPassword,

    /// <summary>cloud-init services and datasource list.</summary>
    CloudInit,

    /// <summary>Growing the root partition and file system on first boot.</summary>
    GrowRoot,

    /// <summary>machine-id, shell histories, logs, temporary build files.</summary>
    Hygiene,

    /// <summary>/etc/hostname (and OpenRC /etc/conf.d/hostname).</summary>
    Hostname,

    /// <summary>/etc/timezone and /etc/localtime.</summary>
    Timezone,
}
