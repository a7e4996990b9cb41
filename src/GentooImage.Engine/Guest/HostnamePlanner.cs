using System.Text.RegularExpressions;

namespace GentooImage.Engine.Guest;

/// <summary>Plans the hostname part: /etc/hostname, a 127.0.1.1 entry that resolves it, and the init system's own setting.</summary>
internal static class HostnamePlanner
{
    public const string HostsFile = "/etc/cloud/cloud.cfg.d/92_gentooimage_hosts.cfg";

    public static void Plan(GuestPlanDraft draft)
    {
        var name = draft.Options.Hostname;
        draft.WriteFile(GuestPart.Hostname, "/etc/hostname", name + "\n", GuestPlanDraft.Regular, $"hostname {name}");

        // The name must resolve (sudo, mail, Java...): 127.0.1.1 as Debian does, leaving 127.0.0.1 to localhost.
        var dot = name.IndexOf('.');
        var names = dot > 0 ? $"{name} {name[..dot]}" : name;
        var hosts = draft.Current("/etc/hosts") ?? "127.0.0.1\tlocalhost\n::1\t\tlocalhost\n";
        draft.WriteFile(GuestPart.Hostname, "/etc/hosts", ConfigLines.SetLine(hosts, new Regex(@"^\s*127\.0\.1\.1\s"), "127.0.1.1\t" + names), GuestPlanDraft.Regular, $"{name} resolves to 127.0.1.1");
        if (draft.Options.Includes(GuestPart.CloudInit) && draft.Fs.FileExists("/usr/bin/cloud-init"))
        {
            // cloud-init sets the instance's hostname from the metadata; "localhost" mode keeps /etc/hosts
            // resolving it (edits the 127.0.1.1 entry in place, no distro template needed).
            draft.WriteFile(GuestPart.Hostname, HostsFile,
                "# Written by GentooImage (Initialize-CloudGuest): keep the instance's hostname resolvable.\nmanage_etc_hosts: localhost\n",
                GuestPlanDraft.Regular, "cloud-init manage_etc_hosts: localhost");
        }
        if (draft.Init == InitSystem.OpenRC)
        {
            var conf = draft.Current("/etc/conf.d/hostname") ?? string.Empty;
            draft.WriteFile(GuestPart.Hostname, "/etc/conf.d/hostname", ConfigLines.SetLine(conf, new Regex(@"^\s*hostname\s*="), $"hostname=\"{name}\""), GuestPlanDraft.Regular, $"hostname {name}");
        }
        else if (draft.Init == InitSystem.BusyboxInit)
        {
            InittabEdits.AddSysinit(draft, GuestPart.Hostname, "::sysinit:/bin/hostname -F /etc/hostname", "set the hostname at sysinit");
        }
    }
}
