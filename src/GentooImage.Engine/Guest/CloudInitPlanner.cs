namespace GentooImage.Engine.Guest;

/// <summary>Plans the cloud-init part: its services enabled for the init system, and its datasource list.</summary>
internal static class CloudInitPlanner
{
    public const string DatasourceFile = "/etc/cloud/cloud.cfg.d/90_gentooimage_datasources.cfg";
    public const string CloudNetworkFile = "/etc/cloud/cloud.cfg.d/93_gentooimage_network.cfg";

    /// <summary>OpenRC's conf.d of cloud-init's network stage: it runs before sshd.</summary>
    public const string CloudInitConfD = "/etc/conf.d/cloud-init";

    /// <summary>OpenRC's conf.d of cloud-init's config stage: it runs after sshd.</summary>
    public const string CloudConfigConfD = "/etc/conf.d/cloud-config";

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

                if (draft.Fs.FileExists("/etc/init.d/sshd"))
                {
                    OrderSshd(draft);
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

    /// <summary>
    /// sshd between cloud-init's network stage and its config stage, as systemd orders them
    /// (cloud-init.service is Before=sshd.service; cloud-config.service is not). Neither upstream's
    /// OpenRC scripts nor Gentoo's sshd order them, so OpenRC starts the default runlevel by name:
    /// cloud-init, cloud-config, cloud-final, then sshd, and the first SSH login waits for all of
    /// cloud-init. And had sshd started first, cloud-init's ssh module would replace the host keys
    /// under the running sshd. conf.d's rc_before/rc_after add order only, no dependency. Our line
    /// extends the variable in shell (rc_before="${rc_before} sshd"), so an admin's own value stays
    /// in whatever form it was written.
    /// </summary>
    private static void OrderSshd(GuestPlanDraft draft)
    {
        foreach (var (path, name, why) in new[]
        {
            (CloudInitConfD, "rc_before", "cloud-init (network stage) before sshd: the keys are in place when sshd starts"),
            (CloudConfigConfD, "rc_after", "cloud-config after sshd: SSH does not wait for cloud-init's config and final stages"),
        })
        {
            // One line of our own, last in the file, that the shell evaluates: whatever the admin set
            // above it (quoted, bare, commented, over lines) stays and sshd is added to it.
            var line = $"{name}=\"${{{name}}} sshd\"";
            var text = draft.Current(path);
            if (text is not null && text.Split('\n').Any(l => l.Trim() == line))
            {
                continue;
            }

            text ??= string.Empty;
            if (text.Length > 0 && !text.EndsWith('\n'))
            {
                text += "\n";
            }

            text += "# Added by GentooImage (Initialize-CloudGuest): sshd between cloud-init's network and config stages.\n" + line + "\n";
            draft.WriteFile(GuestPart.CloudInit, path, text, GuestPlanDraft.Regular, why);
        }
    }
}
