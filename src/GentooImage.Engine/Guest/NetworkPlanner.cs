using System.Text.RegularExpressions;

namespace GentooImage.Engine.Guest;

/// <summary>
/// Plans the network part: DHCP on the wired interfaces with what the root has (dhcpcd, netifrc,
/// systemd-networkd, or busybox udhcpc), and on OpenRC static networks from the config drive.
/// </summary>
internal static class NetworkPlanner
{
    public const string NetUpScript = GuestPlanner.LibexecDir + "/netup";
    public const string UdhcpcScript = GuestPlanner.LibexecDir + "/udhcpc.script";
    public const string NetDataScript = GuestPlanner.LibexecDir + "/netdata";
    public const string NetDataService = "gentooimage-netdata";
    public const string NetworkdFile = "/etc/systemd/network/50-gentooimage-dhcp.network";

    public static void Plan(GuestPlanDraft draft)
    {
        var fs = draft.Fs;
        switch (draft.Init)
        {
            case InitSystem.OpenRC:
                if (fs.FileExists("/etc/init.d/dhcpcd"))
                {
                    ServiceEnabler.EnableOpenRc(draft, GuestPart.Network, "dhcpcd", "default");
                }
                else if (fs.FileExists("/etc/init.d/net.lo"))
                {
                    var conf = draft.Current("/etc/conf.d/net") ?? string.Empty;
                    draft.WriteFile(GuestPart.Network, "/etc/conf.d/net", ConfigLines.SetLine(conf, new Regex(@"^\s*config_eth0\s*="), "config_eth0=\"dhcp\""), GuestPlanDraft.Regular, "netifrc: DHCP on eth0");
                    draft.Link(GuestPart.Network, "/etc/init.d/net.eth0", "net.lo");
                    ServiceEnabler.EnableOpenRc(draft, GuestPart.Network, "net.eth0", "default", mustExist: false);
                    draft.KernelArgument(GuestPart.Network, "net.ifnames=0", "so the first NIC is eth0 whatever its bus");
                }
                else
                {
                    draft.Note("Neither dhcpcd (/etc/init.d/dhcpcd) nor netifrc (/etc/init.d/net.lo) is installed: no DHCP configured. Install net-misc/dhcpcd.", warn: true);
                    break;
                }

                PlanOpenRcNetworkData(draft);
                break;
            case InitSystem.Systemd:
                if (ServiceEnabler.FindUnit(draft, "dhcpcd.service") is not null)
                {
                    ServiceEnabler.EnableUnit(draft, GuestPart.Network, "dhcpcd.service");
                }
                else if (ServiceEnabler.FindUnit(draft, "systemd-networkd.service") is not null)
                {
                    draft.WriteFile(GuestPart.Network, NetworkdFile,
                        "# Written by GentooImage (Initialize-CloudGuest): DHCP on every wired interface.\n" +
                        "[Match]\nType=ether\nName=en* eth*\n\n[Network]\nDHCP=yes\n",
                        GuestPlanDraft.Regular, "systemd-networkd: DHCP on en* eth*");
                    ServiceEnabler.EnableUnit(draft, GuestPart.Network, "systemd-networkd.service");
                    if (ServiceEnabler.FindUnit(draft, "systemd-resolved.service") is not null)
                    {
                        ServiceEnabler.EnableUnit(draft, GuestPart.Network, "systemd-resolved.service");
                    }
                }
                else
                {
                    draft.Note("Neither dhcpcd.service nor systemd-networkd.service is installed: no DHCP configured.", warn: true);
                }

                break;
            case InitSystem.BusyboxInit:
                draft.WriteFile(GuestPart.Network, NetUpScript, GuestRootFs.Script("netup.sh"), GuestPlanDraft.Exec, "DHCP on every wired interface (dhcpcd, else udhcpc)");
                draft.WriteFile(GuestPart.Network, UdhcpcScript, GuestRootFs.Script("udhcpc.script"), GuestPlanDraft.Exec, "udhcpc lease script");
                InittabEdits.AddSysinit(draft, GuestPart.Network, $"::sysinit:/bin/sh {NetUpScript}", "start DHCP at sysinit");
                break;
        }
    }

    /// <summary>
    /// Static networks from the config drive's network_data.json, which cloud-init cannot render on
    /// OpenRC: a boot service (before net) that writes dhcpcd's or netifrc's static configuration.
    /// </summary>
    private static void PlanOpenRcNetworkData(GuestPlanDraft draft)
    {
        if (!draft.Fs.FileExists("/usr/bin/python3"))
        {
            draft.Note("python3 is not installed: static networks from OpenStack's network_data.json are not configured (DHCP only).");
            return;
        }

        draft.WriteFile(GuestPart.Network, NetDataScript, GuestRootFs.Script("netdata.py"), GuestPlanDraft.Exec, "static IPv4 from network_data.json (config drive)");
        draft.WriteFile(GuestPart.Network, "/etc/init.d/" + NetDataService,
            "#!/sbin/openrc-run\n# Written by GentooImage (Initialize-CloudGuest).\n" +
            "description=\"Static network configuration from the OpenStack config drive (network_data.json)\"\n\n" +
            "depend() {\n\tafter localmount udev\n\tbefore net dhcpcd\n}\n\n" +
            $"start() {{\n\tebegin \"Reading network_data.json\"\n\t/usr/bin/python3 {NetDataScript}\n\teend $?\n}}\n",
            GuestPlanDraft.Exec, "OpenRC service that runs it before the network");
        draft.Link(GuestPart.Network, $"/etc/runlevels/boot/{NetDataService}", "/etc/init.d/" + NetDataService);
    }
}
