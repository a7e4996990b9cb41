using System.Text.RegularExpressions;

namespace GentooImage.Engine.Guest;

/// <summary>Plans the SSH part: sshd enabled, logins by key only, and the build's host keys removed.</summary>
internal static class SshPlanner
{
    public const string SshdDropIn = "/etc/ssh/sshd_config.d/01-gentooimage.conf";

    /// <summary>cloud-init's host key types: those sshd loads.</summary>
    public const string HostKeyTypesFile = "/etc/cloud/cloud.cfg.d/94_gentooimage_hostkeys.cfg";

    public static void Plan(GuestPlanDraft draft)
    {
        var fs = draft.Fs;
        var installed = true;
        switch (draft.Init)
        {
            case InitSystem.OpenRC:
                installed = fs.FileExists("/etc/init.d/sshd");
                if (installed)
                {
                    ServiceEnabler.EnableOpenRc(draft, GuestPart.Ssh, "sshd", "default");
                }

                break;
            case InitSystem.Systemd:
                // Gentoo ships sshd.service; Debian ssh.service with Alias=sshd.service.
                var sshUnit = new[] { "sshd.service", "ssh.service" }.FirstOrDefault(u => ServiceEnabler.FindUnit(draft, u) is not null);
                installed = sshUnit is not null;
                if (installed)
                {
                    ServiceEnabler.EnableUnit(draft, GuestPart.Ssh, sshUnit!);
                }

                break;
            case InitSystem.BusyboxInit:
                installed = fs.FileExists("/usr/sbin/sshd");
                if (installed)
                {
                    if (fs.FileExists("/usr/bin/ssh-keygen"))
                    {
                        InittabEdits.AddSysinit(draft, GuestPart.Ssh, "::sysinit:/usr/bin/ssh-keygen -A", "generate host keys at sysinit");
                    }

                    InittabEdits.AddLine(draft, GuestPart.Ssh, "::respawn:/usr/sbin/sshd -D", "run sshd");
                }

                break;
        }

        if (!installed)
        {
            draft.Note("sshd is not installed: not enabled (host keys are still removed).");
        }

        PlanKeysOnly(draft);

        if (installed && fs.FileExists("/usr/bin/cloud-init"))
        {
            // cloud-init 22.x still makes a DSA host key by default (its ssh_genkeytypes), which
            // sshd has not loaded by default since OpenSSH 7.0 and OpenSSH 9.8 (Gentoo's) cannot
            // make: seconds of boot time under TCG for a key nobody uses, or an error in cloud-init's log.
            draft.WriteFile(GuestPart.Ssh, HostKeyTypesFile,
                "# Written by GentooImage (Initialize-CloudGuest): the host key types sshd loads by default.\n" +
                "ssh_genkeytypes: [rsa, ecdsa, ed25519]\n",
                GuestPlanDraft.Regular, "cloud-init makes RSA, ECDSA and Ed25519 host keys (no DSA)");
        }

        foreach (var name in fs.List("/etc/ssh").Where(n => n.StartsWith("ssh_host_", StringComparison.Ordinal)))
        {
            draft.Delete(GuestPart.Ssh, "/etc/ssh/" + name, "host key of the build");
        }
    }

    /// <summary>
    /// Logins over SSH by key only, as cloud images do: the key comes from the metadata, and a
    /// password prompt on a public address only invites guessing. sshd takes the first value it
    /// reads, so a drop-in read first (when sshd_config includes sshd_config.d) wins; otherwise the
    /// main file is edited.
    /// </summary>
    private static void PlanKeysOnly(GuestPlanDraft draft)
    {
        var config = draft.Current("/etc/ssh/sshd_config");
        if (config is null)
        {
            return;
        }

        const string why = "SSH logins by key only";
        var settings = new[] { "PasswordAuthentication no", "KbdInteractiveAuthentication no" };
        if (Regex.IsMatch(config, @"(?mi)^\s*Include\s+/etc/ssh/sshd_config\.d/\*\.conf\s*$"))
        {
            draft.WriteFile(GuestPart.Ssh, SshdDropIn,
                "# Written by GentooImage (Initialize-CloudGuest): logins by SSH key only.\n" + string.Join("\n", settings) + "\n", GuestPlanDraft.Regular, why);
            return;
        }

        foreach (var setting in settings)
        {
            var key = setting.Split(' ')[0];
            config = ConfigLines.SetLine(config, new Regex($@"^\s*#?\s*{key}\s", RegexOptions.IgnoreCase), setting);
        }

        draft.WriteFile(GuestPart.Ssh, "/etc/ssh/sshd_config", config, GuestPlanDraft.Regular, why);
    }
}
