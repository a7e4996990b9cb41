namespace GentooImage.Engine.Guest;

/// <summary>How a guest root boots its services.</summary>
public enum InitSystem
{
    /// <summary>OpenRC (the default Gentoo stage3): /sbin/openrc, runlevels in /etc/runlevels, sysvinit /etc/inittab.</summary>
    OpenRC,

    /// <summary>systemd: /lib/systemd/systemd or /usr/lib/systemd/systemd, units enabled by wants/ symlinks.</summary>
    Systemd,

    /// <summary>
    /// busybox init reading /etc/inittab, with neither OpenRC nor systemd (small test roots): the
    /// first-boot and DHCP pieces run from <c>::sysinit:</c> lines.
    /// </summary>
    BusyboxInit,
}
