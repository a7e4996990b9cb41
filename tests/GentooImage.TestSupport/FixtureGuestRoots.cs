namespace GentooImage.TestSupport;

/// <summary>
/// Roots laid out like OpenRC and systemd stage3s (on top of <see cref="FixtureRoot"/>), with what
/// Initialize-CloudGuest looks at: init scripts or unit files for sshd, dhcpcd, netifrc,
/// systemd-networkd and cloud-init, SSH host keys, a machine-id, shell history, logs and build
/// leftovers. The services are stubs; only the layout matters. Needs root, like FixtureRoot.
/// </summary>
public static class FixtureGuestRoots
{
    /// <summary>The OpenRC layout's inittab: Gentoo's sysvinit one, serial gettys commented out.</summary>
    public const string GentooInittab =
        "id:3:initdefault:\n" +
        "si::sysinit:/sbin/openrc sysinit\n" +
        "rc::bootwait:/sbin/openrc boot\n" +
        "l3:3:wait:/sbin/openrc default\n" +
        "c1:12345:respawn:/sbin/agetty 38400 tty1 linux\n" +
        "# SERIAL CONSOLES\n" +
        "#s0:12345:respawn:/sbin/agetty -L 9600 ttyS0 vt100\n" +
        "#s1:12345:respawn:/sbin/agetty -L 9600 ttyS1 vt100\n" +
        "ca:12345:ctrlaltdel:/sbin/shutdown -r now\n";

    /// <summary>
    /// An OpenRC root: /sbin/openrc, /etc/init.d/{sshd,local,net.lo} (+ dhcpcd, cloud-init's four
    /// services and /usr/bin/cloud-init unless switched off; growpart when asked), Gentoo's inittab.
    /// </summary>
    public static string CreateOpenRc(string dir, bool withDhcpcd = true, bool withCloudInit = true, bool withGrowpart = false)
    {
        FixtureRoot.Create(dir);
        Write(dir, "sbin/openrc", "#!/bin/sh\nexit 0\n", "0755");
        Write(dir, "etc/inittab", GentooInittab);
        var services = new List<string> { "sshd", "local", "net.lo", "hostname" };
        if (withDhcpcd)
        {
            services.Add("dhcpcd");
        }

        if (withCloudInit)
        {
            services.AddRange(new[] { "cloud-init-local", "cloud-init", "cloud-config", "cloud-final" });
            Write(dir, "usr/bin/cloud-init", "#!/bin/sh\nexit 0\n", "0755");
            Write(dir, "etc/cloud/cloud.cfg", "# fixture cloud.cfg\n");
        }

        if (withGrowpart)
        {
            Write(dir, "usr/bin/growpart", "#!/bin/sh\nexit 0\n", "0755");
        }

        foreach (var svc in services)
        {
            Write(dir, "etc/init.d/" + svc, $"#!/sbin/openrc-run\ndescription=\"fixture {svc}\"\n", "0755");
        }

        File.CreateSymbolicLink(Path.Combine(dir, "etc/runlevels/boot/hostname"), "/etc/init.d/hostname");
        Write(dir, "etc/conf.d/hostname", "# Hostname fallback if /etc/hostname does not exist\nhostname=\"localhost\"\n");
        Write(dir, "etc/conf.d/net", "# fixture netifrc configuration\n");
        Write(dir, "usr/sbin/sshd", "#!/bin/sh\nexit 0\n", "0755");
        AddBuildLeftovers(dir);
        return dir;
    }

    /// <summary>
    /// A merged-/usr systemd root: /lib -> usr/lib, /sbin/init -> /lib/systemd/systemd (absolute, as a
    /// test of in-root link resolution), unit files with real [Install] sections under
    /// /usr/lib/systemd/system, no /etc/runlevels.
    /// </summary>
    public static string CreateSystemd(string dir, bool withDhcpcd = false, bool withCloudInit = true)
    {
        FixtureRoot.Create(dir);
        Directory.Delete(Path.Combine(dir, "etc/runlevels"), recursive: true);
        File.Delete(Path.Combine(dir, "sbin/init"));
        File.CreateSymbolicLink(Path.Combine(dir, "sbin/init"), "/lib/systemd/systemd");
        File.CreateSymbolicLink(Path.Combine(dir, "lib"), "usr/lib");
        Write(dir, "usr/lib/systemd/systemd", "#!/bin/sh\nexit 0\n", "0755");
        var units = new Dictionary<string, string>
        {
            ["serial-getty@.service"] = "[Install]\nWantedBy=getty.target\n",
            ["getty@.service"] = "[Install]\nWantedBy=getty.target\nDefaultInstance=tty1\n",
            ["sshd.service"] = "[Install]\nWantedBy=multi-user.target\n",
            ["systemd-networkd.service"] = "[Install]\nAlias=dbus-org.freedesktop.network1.service\nWantedBy=multi-user.target\nAlso=systemd-networkd.socket\n",
            ["systemd-networkd.socket"] = "[Install]\nWantedBy=sockets.target\n",
            ["systemd-resolved.service"] = "[Install]\nWantedBy=multi-user.target\nAlias=dbus-org.freedesktop.resolve1.service\n",
        };
        if (withDhcpcd)
        {
            units["dhcpcd.service"] = "[Install]\nWantedBy=multi-user.target\n";
        }

        if (withCloudInit)
        {
            foreach (var u in new[] { "cloud-init-main.service", "cloud-init-local.service", "cloud-init-network.service", "cloud-config.service", "cloud-final.service" })
            {
                units[u] = "[Install]\nWantedBy=cloud-init.target\n";
            }

            units["cloud-init.target"] = "[Install]\nWantedBy=multi-user.target\n";
            Write(dir, "usr/bin/cloud-init", "#!/bin/sh\nexit 0\n", "0755");
        }

        foreach (var (name, install) in units)
        {
            Write(dir, "usr/lib/systemd/system/" + name, $"[Unit]\nDescription=fixture {name}\n\n[Service]\nExecStart=/bin/true\n\n{install}");
        }

        Directory.CreateDirectory(Path.Combine(dir, "etc/systemd/system"));
        Write(dir, "usr/sbin/sshd", "#!/bin/sh\nexit 0\n", "0755");
        AddBuildLeftovers(dir);
        return dir;
    }

    /// <summary>The plain busybox-init <see cref="FixtureRoot"/> plus build leftovers (host keys, history, logs).</summary>
    public static string CreateBusybox(string dir)
    {
        FixtureRoot.Create(dir);
        AddBuildLeftovers(dir);
        return dir;
    }

    private static void AddBuildLeftovers(string dir)
    {
        foreach (var key in new[] { "rsa", "ecdsa", "ed25519" })
        {
            Write(dir, $"etc/ssh/ssh_host_{key}_key", "fixture private key\n", "0600");
            Write(dir, $"etc/ssh/ssh_host_{key}_key.pub", "fixture public key\n");
        }

        Write(dir, "etc/ssh/sshd_config", "# fixture sshd_config\n");
        Write(dir, "etc/machine-id", "0123456789abcdef0123456789abcdef\n", "0444");
        Write(dir, "root/.bash_history", "emerge --sync\n", "0600");
        Write(dir, "root/.ash_history", "ls\n", "0600");
        Write(dir, "var/log/messages", "fixture log line\n");
        Write(dir, "var/log/messages.1.gz", "rotated\n");
        Write(dir, "var/log/portage/elog/summary.log", "elog\n");
        Write(dir, "var/log/gentooimage/chroot.log", "module log\n");
        Write(dir, "var/tmp/portage/sys-apps/foo-1/temp/build.log", "build\n");
        Write(dir, "var/tmp/gentooimage-script.sh", "#!/bin/sh\n");
        Write(dir, "var/cache/distfiles/foo-1.tar.xz", "distfile\n");
    }

    private static void Write(string root, string rel, string content, string mode = "0644")
    {
        var p = Path.Combine(root, rel);
        Directory.CreateDirectory(Path.GetDirectoryName(p)!);
        if (File.Exists(p) || new FileInfo(p).LinkTarget is not null)
        {
            File.Delete(p);
        }

        File.WriteAllText(p, content);
        FixtureRoot.Run("chmod", mode, p);
    }
}
