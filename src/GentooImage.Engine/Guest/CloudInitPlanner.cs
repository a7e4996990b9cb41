namespace GentooImage.Engine.Guest;

/// <summary>Plans the cloud-init part: its services enabled for the init system, and its datasource list.</summary>
internal static class CloudInitPlanner
{
    public const string DatasourceFile = "/etc/cloud/cloud.cfg.d/90_gentooimage_datasources.cfg";
    public const string CloudNetworkFile = "/etc/cloud/cloud.cfg.d/93_gentooimage_network.cfg";

    public static void Plan(GuestPlanDraft draft)
    {
        if (!draft.Fs.FileExists("/usr/bin/cloud-init"))
        {
            draft.Note("cloud-init is not installed (/usr/bin/cloud-init): no cloud-init services or datasources. Install app-emulation/cloud-init for SSH keys and user data from the metadata service.");
            return;
        }

        switch (draft.Init)
        {
            case InitSystem.OpenRC:
                foreach (var (svc, level) in new[] { ("cloud-init-local", "boot"), ("cloud-init", "default"), ("cloud-config", "default"), ("cloud-final", "default") })
                {
                    ServiceEnabler.EnableOpenRc(draft, GuestPart.CloudInit, svc, level);
                }

                // Upstream cloud-init has no OpenRC/netifrc network renderer (canonical/cloud-init#3999): left on,
                // it logs "Unable to render networking" as an error on every boot. The network is dhcpcd's or netifrc's.
                draft.WriteFile(GuestPart.CloudInit, CloudNetworkFile,
                    "# Written by GentooImage (Initialize-CloudGuest): cloud-init cannot render networking for OpenRC;\n" +
                    "# the network is configured by dhcpcd / netifrc.\nnetwork:\n  config: disabled\n",
                    GuestPlanDraft.Regular, "cloud-init network rendering off (no OpenRC renderer)");

                break;
            case InitSystem.Systemd:
                foreach (var unit in new[] { "cloud-init-main.service", "cloud-init-local.service", "cloud-init-network.service", "cloud-init.service", "cloud-config.service", "cloud-final.service" })
                {
                    if (ServiceEnabler.FindUnit(draft, unit) is not null)
                    {
                        ServiceEnabler.EnableUnit(draft, GuestPart.CloudInit, unit);
                    }
                }

                if (ServiceEnabler.FindUnit(draft, "cloud-init.target") is not null)
                {
                    ServiceEnabler.EnableUnit(draft, GuestPart.CloudInit, "cloud-init.target");
                }

                break;
            case InitSystem.BusyboxInit:
                draft.Note("cloud-init has no busybox init integration: its services are not enabled.", warn: true);
                break;
        }

        var list = string.Join(", ", draft.Options.Datasources.Distinct());
        draft.WriteFile(GuestPart.CloudInit, DatasourceFile,
            $"# Written by GentooImage (Initialize-CloudGuest).\ndatasource_list: [ {list} ]\n",
            GuestPlanDraft.Regular, $"datasource_list: {list}");
    }
}
