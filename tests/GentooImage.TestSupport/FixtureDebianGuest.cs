using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace GentooImage.TestSupport;

/// <summary>
/// Guest roots made of real programs (systemd or OpenRC, cloud-init, OpenSSH, dhcpcd) from Debian
/// bookworm's packages, built with mmdebstrap and handed to the tests as a stage3-like .tar.xz for
/// New-Stage3Root -Stage3. Cached in /var/cache/gentooimage-tests/guests/&lt;flavor&gt;-&lt;key&gt;/,
/// keyed by the SHA-256 of the package list and the recipe (this file's hooks and the files it
/// writes), so a changed recipe builds a new root. Building one takes a few minutes (downloads
/// included); the lock file makes a parallel run wait instead of building twice.
/// The Gentoo-specific files (OpenRC service scripts for cloud-init's four stages, sshd and dhcpcd,
/// Gentoo's inittab) are written here, the way Gentoo's packages ship them; none is copied.
/// </summary>
public static class FixtureDebianGuest
{
    public const string Suite = "bookworm";
    public const string Mirror = "http://deb.debian.org/debian";

    /// <summary>The systemd root's packages (the list, plus sudo for cloud-init's default user).</summary>
    public static readonly IReadOnlyList<string> SystemdPackages = new[]
    {
        "systemd", "systemd-sysv", "udev", "dbus", "cloud-init", "openssh-server", "cloud-guest-utils",
        "e2fsprogs", "fdisk", "iproute2", "locales", "sudo",
    };

    /// <summary>The OpenRC root's packages: upstream OpenRC under sysvinit, dhcpcd, OpenSSH, cloud-init.</summary>
    public static readonly IReadOnlyList<string> OpenRcPackages = new[]
    {
        "openrc", "sysvinit-core", "udev", "dhcpcd-base", "cloud-init", "openssh-server", "cloud-guest-utils",
        "e2fsprogs", "fdisk", "iproute2", "locales", "sudo", "procps",
    };

    public static string CacheRoot => Path.Combine(KernelSourceCache.CacheRoot, "guests");

    /// <summary>The cache key: packages, suite and recipe version.</summary>
    public static string KeyOf(string flavor)
    {
        var text = new StringBuilder().Append(flavor).Append('\n').Append(Suite).Append('\n').Append(RecipeVersion(flavor)).Append('\n');
        foreach (var p in Packages(flavor))
        {
            text.Append(p).Append('\n');
        }

        foreach (var (path, content, mode) in GentooFiles(flavor))
        {
            text.Append(path).Append(' ').Append(mode).Append('\n').Append(content);
        }

        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16].ToLowerInvariant();
    }

    /// <summary>
    /// Bumped, per flavor, whenever that flavor's build steps below change in a way the file list
    /// does not show (openrc 5: Gentoo boot services in place of Debian's LSB scripts; 6: links in
    /// /etc/init.d are left alone).
    /// </summary>
    private static string RecipeVersion(string flavor) => flavor == "openrc" ? "6" : "4";

    private static IReadOnlyList<string> Packages(string flavor) => flavor switch
    {
        "systemd" => SystemdPackages,
        "openrc" => OpenRcPackages,
        _ => throw new ArgumentException($"Unknown guest flavor '{flavor}': use systemd or openrc.", nameof(flavor)),
    };

    /// <summary>The cached root tarball for <paramref name="flavor"/> ("systemd" or "openrc"), built first when missing.</summary>
    public static string Tarball(string flavor, Action<string>? log = null)
    {
        var key = KeyOf(flavor);
        var entry = Path.Combine(CacheRoot, $"{flavor}-{key}");
        var tarball = Path.Combine(entry, "root.tar.xz");
        if (File.Exists(tarball))
        {
            log?.Invoke($"guest root cache hit: {tarball}");
            return tarball;
        }

        Directory.CreateDirectory(CacheRoot);
        using var lockFile = FixtureCacheLock.Acquire(Path.Combine(CacheRoot, $"{flavor}-{key}.lock"));
        if (File.Exists(tarball))
        {
            return tarball;
        }

        var work = Path.Combine(CacheRoot, $"build-{flavor}-{key}");
        if (Directory.Exists(work))
        {
            Run("rm", "-rf", "--one-file-system", work);
        }

        Directory.CreateDirectory(work);
        var dir = Path.Combine(work, "root");
        var watch = Stopwatch.StartNew();
        log?.Invoke($"guest root cache miss ({flavor}-{key}): mmdebstrap {Suite} into {dir}");
        // In private mount and PID namespaces: mmdebstrap mounts /proc, /sys and /dev in the root
        // while it works, and those mounts must never show in the host's table (the suite compares
        // it, and this build may run beside other tests); a killed build takes all its processes
        // and mounts with it.
        Run("unshare", "--mount", "--propagation", "private", "--pid", "--fork", "--kill-child",
            "mmdebstrap", "--variant=apt", "--include=" + string.Join(',', Packages(flavor)), "--format=directory",
            Suite, dir, Mirror);
        Customize(flavor, dir);
        log?.Invoke($"guest root built in {watch.Elapsed.TotalSeconds:0} s; packing");
        Run("tar", "--create", "--file", Path.Combine(work, "root.tar"), "--numeric-owner", "--xattrs", "--xattrs-include=*.*",
            "--one-file-system", "-C", dir, ".");
        Run("xz", "-T2", "-1", Path.Combine(work, "root.tar"));
        Directory.CreateDirectory(entry);
        File.Move(Path.Combine(work, "root.tar.xz"), tarball + ".tmp");
        File.Move(tarball + ".tmp", tarball);
        Run("rm", "-rf", "--one-file-system", work);
        log?.Invoke($"guest root cached in {watch.Elapsed.TotalSeconds:0} s: {tarball}");
        return tarball;
    }

    private static void Customize(string flavor, string dir)
    {
        // cloud-init's locale module fails without the locale it sets.
        File.WriteAllText(Path.Combine(dir, "etc/locale.gen"), "en_US.UTF-8 UTF-8\n");
        Run("chroot", dir, "/usr/sbin/locale-gen");

        // A build leaves no host keys and no machine-id of its own in a stage3 either.
        foreach (var key in Directory.GetFiles(Path.Combine(dir, "etc/ssh"), "ssh_host_*"))
        {
            File.Delete(key);
        }

        // mmdebstrap's apt configuration and the host's resolver are not part of a stage3.
        File.WriteAllText(Path.Combine(dir, "etc/resolv.conf"), string.Empty);
        File.WriteAllText(Path.Combine(dir, "etc/hostname"), "localhost\n");

        if (flavor == "openrc")
        {
            // Debian's own sysv script for OpenSSH would start a second sshd next to the OpenRC one.
            // Debian's cloud-init enabled its four services (cloud-init-local even in default); a
            // Gentoo stage3 enables none, so Initialize-CloudGuest's links are the only ones.
            foreach (var name in new[] { "ssh", "cloud-init-local", "cloud-init", "cloud-config", "cloud-final" })
            {
                foreach (var level in Directory.Exists(Path.Combine(dir, "etc/runlevels")) ? Directory.GetDirectories(Path.Combine(dir, "etc/runlevels")) : Array.Empty<string>())
                {
                    var link = Path.Combine(level, name);
                    if (File.Exists(link) || new FileInfo(link).LinkTarget is not null)
                    {
                        File.Delete(link);
                    }
                }

                if (name == "ssh")
                {
                    File.Delete(Path.Combine(dir, "etc/init.d", name));
                }
            }

            RemoveDebianBootScripts(dir);
        }

        foreach (var (path, content, mode) in GentooFiles(flavor))
        {
            var host = Path.Combine(dir, path.TrimStart('/'));
            Directory.CreateDirectory(Path.GetDirectoryName(host)!);
            if (content.StartsWith("SYMLINK ", StringComparison.Ordinal))
            {
                if (new FileInfo(host).LinkTarget is not null)
                {
                    File.Delete(host);
                }

                File.CreateSymbolicLink(host, content["SYMLINK ".Length..]);
                continue;
            }

            File.WriteAllText(host, content);
            Run("chmod", mode, host);
        }
    }

    /// <summary>
    /// Debian boots OpenRC through its sysv-rc LSB scripts (initscripts, udev's, procps', ...); a
    /// Gentoo stage3 has OpenRC's own services instead (GentooBootServices). Every script in
    /// /etc/init.d that is not an openrc-run script goes, with the runlevel links that named it,
    /// Debian's extra runlevels (off, recovery) and its /etc/rc?.d links.
    /// </summary>
    private static void RemoveDebianBootScripts(string dir)
    {
        foreach (var script in Directory.GetFiles(Path.Combine(dir, "etc/init.d")))
        {
            if (new FileInfo(script).LinkTarget is not null)
            {
                continue; // a link (OpenRC's functions.sh) would be followed on the host, not in the root
            }

            using var reader = new StreamReader(script);
            if (reader.ReadLine() != "#!/sbin/openrc-run")
            {
                reader.Dispose();
                File.Delete(script);
            }
        }

        var runlevels = Path.Combine(dir, "etc/runlevels");
        foreach (var level in new[] { "off", "recovery" })
        {
            if (Directory.Exists(Path.Combine(runlevels, level)))
            {
                Directory.Delete(Path.Combine(runlevels, level), recursive: true);
            }
        }

        foreach (var link in Directory.GetFiles(runlevels, "*", SearchOption.AllDirectories))
        {
            var target = new FileInfo(link).LinkTarget;
            if (target is not null && !File.Exists(Path.Combine(dir, target.TrimStart('/'))))
            {
                File.Delete(link);
            }
        }

        foreach (var rc in Directory.GetDirectories(Path.Combine(dir, "etc"), "rc?.d"))
        {
            Directory.Delete(rc, recursive: true);
        }
    }

    /// <summary>The files the fixture writes into the root, Gentoo's way (path, content, octal mode).</summary>
    public static IEnumerable<(string Path, string Content, string Mode)> GentooFiles(string flavor)
    {
        yield return ("/etc/gentoo-release", "Gentoo Base System release 2.17 (test guest userland from Debian packages)\n", "644");
        if (flavor != "openrc")
        {
            yield break;
        }

        // Gentoo's sysvinit inittab: OpenRC decides what starts.
        yield return ("/etc/inittab",
            "id:3:initdefault:\n" +
            "si::sysinit:/sbin/openrc sysinit\n" +
            "rc::bootwait:/sbin/openrc boot\n" +
            "l0:0:wait:/sbin/openrc shutdown\n" +
            "l0s:0:wait:/sbin/halt -dhnp\n" +
            "l1:1:wait:/sbin/openrc single\n" +
            "l2:2:wait:/sbin/openrc nonetwork\n" +
            "l3:3:wait:/sbin/openrc default\n" +
            "l6:6:wait:/sbin/openrc reboot\n" +
            "l6r:6:wait:/sbin/reboot -dkn\n" +
            "c1:12345:respawn:/sbin/agetty 38400 tty1 linux\n" +
            "#s0:12345:respawn:/sbin/agetty -L 9600 ttyS0 vt100\n" +
            "ca:12345:ctrlaltdel:/sbin/shutdown -r now\n", "644");

        const string disabled =
            "\tif grep -q 'cloud-init=disabled' /proc/cmdline; then\n" +
            "\t\tewarn \"$RC_SVCNAME is disabled via /proc/cmdline.\"\n" +
            "\telif test -e /etc/cloud/cloud-init.disabled; then\n" +
            "\t\tewarn \"$RC_SVCNAME is disabled via cloud-init.disabled file\"\n" +
            "\telse\n";
        yield return ("/etc/init.d/cloud-init-local",
            "#!/sbin/openrc-run\n# cloud-init's first stage (Gentoo layout): before the network.\n\n" +
            "depend() {\n\tafter localmount\n\tbefore net\n\tbefore cloud-init\n\tprovide cloud-init-local\n}\n\n" +
            "start() {\n" + disabled + "\t\tebegin \"cloud-init local\"\n\t\tcloud-init init --local\n\t\teend $?\n\tfi\n}\n", "755");
        yield return ("/etc/init.d/cloud-init",
            "#!/sbin/openrc-run\n# cloud-init's network stage (Gentoo layout).\n\n" +
            "depend() {\n\tneed net\n\tafter cloud-init-local\n\tbefore cloud-config\n\tprovide cloud-init\n}\n\n" +
            "start() {\n" + disabled + "\t\tebegin \"cloud-init\"\n\t\tcloud-init init\n\t\teend $?\n\tfi\n}\n", "755");
        yield return ("/etc/init.d/cloud-config",
            "#!/sbin/openrc-run\n# cloud-init's config stage (Gentoo layout).\n\n" +
            "depend() {\n\tafter cloud-init\n\tbefore cloud-final\n\tprovide cloud-config\n}\n\n" +
            "start() {\n" + disabled + "\t\tebegin \"cloud-init config\"\n\t\tcloud-init modules --mode config\n\t\teend $?\n\tfi\n}\n", "755");
        yield return ("/etc/init.d/cloud-final",
            "#!/sbin/openrc-run\n# cloud-init's final stage (Gentoo layout): user scripts and runcmd.\n\n" +
            "depend() {\n\tafter cloud-config\n\tafter sshd\n\tprovide cloud-final\n}\n\n" +
            "start() {\n" + disabled + "\t\tebegin \"cloud-init final\"\n\t\tcloud-init modules --mode final\n\t\teend $?\n\tfi\n}\n", "755");
        yield return ("/etc/init.d/sshd",
            "#!/sbin/openrc-run\n# OpenSSH server (Gentoo layout).\n\n" +
            "description=\"OpenBSD Secure Shell server\"\ncommand=\"/usr/sbin/sshd\"\npidfile=\"/run/sshd.pid\"\n" +
            "command_args=\"-o PidFile=${pidfile}\"\n\n" +
            "depend() {\n\tuse logger dns\n\tneed net\n}\n\n" +
            "start_pre() {\n\tcheckpath --directory --mode 0755 /run/sshd\n\tssh-keygen -A || return 1\n\t/usr/sbin/sshd -t || return 1\n}\n", "755");
        // Gentoo's boot: OpenRC's own services in sysinit and boot, in place of Debian's LSB
        // scripts (removed in Customize; they took about 55 s of a TCG boot). Each is written here
        // to do what the Gentoo service of that name does, for this root's tools.
        foreach (var file in GentooBootServices())
        {
            yield return file;
        }

        // Gentoo's boot runlevel brings up lo (sys-apps/openrc's loopback service); Debian's openrc
        // leaves that to ifupdown, which this root does not have.
        yield return ("/etc/init.d/loopback",
            "#!/sbin/openrc-run\n# The loopback interface (Gentoo layout: a boot service).\n\n" +
            "description=\"Configures the loopback interface\"\n\n" +
            "depend() {\n\tkeyword -jail -prefix -vserver\n}\n\n" +
            "start() {\n\tebegin \"Bringing up network interface lo\"\n" +
            "\tip addr replace 127.0.0.1/8 dev lo brd + scope host && ip link set lo up\n\teend $?\n}\n", "755");
        yield return ("/etc/runlevels/boot/loopback", "SYMLINK /etc/init.d/loopback", "777");
        yield return ("/etc/init.d/dhcpcd",
            "#!/sbin/openrc-run\n# dhcpcd on all interfaces (Gentoo layout).\n\n" +
            "description=\"DHCP client on every interface\"\ncommand=\"/usr/sbin/dhcpcd\"\npidfile=\"/run/dhcpcd/pid\"\n" +
            "command_args=\"-q\"\n\n" +
            "depend() {\n\tprovide net\n\tneed localmount\n\tuse logger\n\tafter bootmisc modules\n\tbefore dns\n}\n\n" +
            "stop() {\n\tebegin \"Stopping DHCP Client Daemon\"\n\t/usr/sbin/dhcpcd -x\n\teend $?\n}\n", "755");
    }

    /// <summary>
    /// The Gentoo OpenRC stage3 services a headless cloud guest needs, written for this root (Debian's
    /// util-linux, udev, procps, sysvinit-utils) and put in the runlevels Gentoo puts them in (left
    /// out: the console ones, keymaps and termencoding with their save-* pair, and binfmt, modules,
    /// swap, procfs, mtab, dmesg and netmount, which have nothing to do here): sysinit (devfs,
    /// sysfs, udev, udev-trigger; cgroups is OpenRC's own), boot (hwclock, fsck, root, localmount,
    /// hostname, bootmisc, sysctl, seedrng), default and nonetwork (local), shutdown (killprocs,
    /// mount-ro; savecache is OpenRC's own).
    /// </summary>
    private static IEnumerable<(string Path, string Content, string Mode)> GentooBootServices()
    {
        const string noContainers = "\tkeyword -docker -lxc -prefix -systemd-nspawn -vserver\n";
        const string rootIsReadOnly =
            "root_is_ro() {\n" +
            "\tcase \",$(awk '$2 == \"/\" { o = $4 } END { print o }' /proc/mounts),\" in\n" +
            "\t\t*,ro,*) return 0 ;;\n\tesac\n\treturn 1\n}\n\n";
        var services = new (string Name, string[] Levels, string Body)[]
        {
            ("devfs", new[] { "sysinit" },
                "description=\"Mounts /dev (devtmpfs), /dev/pts and /dev/shm\"\n\n" +
                "depend() {\n\tprovide dev-mount\n" + noContainers + "}\n\n" +
                "start() {\n" +
                "\tif ! mountinfo -q /dev; then\n\t\tebegin \"Mounting devtmpfs on /dev\"\n" +
                "\t\tmount -n -t devtmpfs -o exec,nosuid,mode=0755,size=10M devtmpfs /dev\n\t\teend $? || return 1\n\tfi\n" +
                "\tmkdir -p /dev/pts /dev/shm\n" +
                "\tif ! mountinfo -q /dev/pts; then\n\t\tebegin \"Mounting /dev/pts\"\n" +
                "\t\tmount -n -t devpts -o gid=5,mode=0620,noexec,nosuid devpts /dev/pts\n\t\teend $? || return 1\n\tfi\n" +
                "\tif ! mountinfo -q /dev/shm; then\n\t\tebegin \"Mounting /dev/shm\"\n" +
                "\t\tmount -n -t tmpfs -o mode=1777,nosuid,nodev,noexec shm /dev/shm\n\t\teend $? || return 1\n\tfi\n" +
                "\tif grep -qw mqueue /proc/filesystems && ! mountinfo -q /dev/mqueue; then\n" +
                "\t\tmkdir -p /dev/mqueue && mount -n -t mqueue -o nosuid,nodev,noexec mqueue /dev/mqueue\n\tfi\n" +
                "\t# The links every /dev has (process substitution and /dev/stdin users need them).\n" +
                "\t[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd\n" +
                "\t[ -e /dev/stdin ] || ln -s fd/0 /dev/stdin\n\t[ -e /dev/stdout ] || ln -s fd/1 /dev/stdout\n" +
                "\t[ -e /dev/stderr ] || ln -s fd/2 /dev/stderr\n\t[ -e /dev/core ] || ln -s /proc/kcore /dev/core\n\treturn 0\n}\n"),
            ("sysfs", new[] { "sysinit" },
                "description=\"Mounts /sys and the file systems below it\"\n\n" +
                "depend() {\n" + noContainers + "}\n\n" +
                "start() {\n" +
                "\tif ! mountinfo -q /sys; then\n\t\tebegin \"Mounting /sys\"\n" +
                "\t\tmount -n -t sysfs -o noexec,nosuid,nodev sysfs /sys\n\t\teend $? || return 1\n\tfi\n" +
                "\tif [ -d /sys/kernel/security ] && ! mountinfo -q /sys/kernel/security && grep -qw securityfs /proc/filesystems; then\n" +
                "\t\tmount -n -t securityfs -o noexec,nosuid,nodev securityfs /sys/kernel/security\n\tfi\n" +
                "\tif [ -d /sys/firmware/efi/efivars ] && ! mountinfo -q /sys/firmware/efi/efivars; then\n" +
                "\t\tmount -n -t efivarfs -o noexec,nosuid,nodev efivarfs /sys/firmware/efi/efivars\n\tfi\n\treturn 0\n}\n"),
            ("udev", new[] { "sysinit" },
                "description=\"The udev device manager\"\n\n" +
                "depend() {\n\tprovide dev\n\tneed sysfs dev-mount\n\tbefore checkfs fsck\n" + noContainers + "}\n\n" +
                "start() {\n\tebegin \"Starting udev\"\n\t/lib/systemd/systemd-udevd --daemon\n\teend $?\n}\n\n" +
                "stop() {\n\tebegin \"Stopping udev\"\n\tudevadm control --exit\n\teend $?\n}\n"),
            ("udev-trigger", new[] { "sysinit" },
                "description=\"Replays the kernel's device events (coldplug)\"\n\n" +
                "depend() {\n\tneed udev\n\tbefore checkfs fsck\n" + noContainers + "}\n\n" +
                "start() {\n\tebegin \"Populating /dev with existing devices through uevents\"\n" +
                "\tudevadm trigger --type=subsystems --action=add && udevadm trigger --type=devices --action=add\n\teend $?\n}\n"),
            ("hwclock", new[] { "boot" },
                "description=\"Sets the system clock from the hardware clock (UTC)\"\n\n" +
                "depend() {\n\tprovide clock\n\tneed dev-mount\n\tbefore fsck root\n" + noContainers + "}\n\n" +
                "start() {\n\tebegin \"Setting system clock using the hardware clock [UTC]\"\n\thwclock --hctosys --utc\n\teend $?\n}\n"),
            ("fsck", new[] { "boot" },
                "description=\"Checks the root file system, then the other local file systems in /etc/fstab\"\n\n" +
                "depend() {\n\tuse dev clock\n\tafter udev-trigger\n\tbefore root localmount\n" + noContainers + "}\n\n" +
                rootIsReadOnly +
                "start() {\n\tlocal rc\n" +
                "\tif root_is_ro; then\n\t\tebegin \"Checking the root file system\"\n\t\tfsck -T -p /\n\t\trc=$?\n" +
                "\t\tif [ $rc -gt 1 ]; then\n\t\t\teend 1 \"fsck of / returned $rc: repair it by hand\"\n\t\t\treturn 1\n\t\tfi\n\t\teend 0\n\tfi\n" +
                "\tebegin \"Checking the local file systems\"\n\tfsck -T -A -R -p\n\trc=$?\n" +
                "\t[ $rc -le 1 ]\n\teend $? \"fsck returned $rc\"\n}\n"),
            ("root", new[] { "boot" },
                "description=\"Mounts the root file system read/write\"\n\n" +
                "depend() {\n\tneed fsck\n" + noContainers + "}\n\n" +
                rootIsReadOnly +
                "start() {\n\tif root_is_ro; then\n\t\tebegin \"Remounting the root file system read/write\"\n" +
                "\t\tmount -n -o remount,rw /\n\t\teend $? || return 1\n\tfi\n\treturn 0\n}\n"),
            ("localmount", new[] { "boot" },
                "description=\"Mounts the local file systems in /etc/fstab\"\n\n" +
                "depend() {\n\tneed fsck root\n\tuse modules\n\tafter clock\n" + noContainers + "}\n\n" +
                "start() {\n\tebegin \"Mounting local file systems\"\n\tmount -a -O no_netdev\n\teend $?\n}\n"),
            ("hostname", new[] { "boot" },
                "description=\"Sets the hostname from /etc/hostname, else hostname= in /etc/conf.d/hostname\"\n\n" +
                "depend() {\n\tkeyword -docker -lxc -prefix -systemd-nspawn\n}\n\n" +
                "start() {\n\tlocal h\n\th=$(cat /etc/hostname 2>/dev/null)\n\t[ -n \"$h\" ] || h=${hostname:-localhost}\n" +
                "\tebegin \"Setting hostname to $h\"\n\thostname \"$h\"\n\teend $?\n}\n"),
            ("bootmisc", new[] { "boot" },
                "description=\"Login records and the removal of boot-time leftovers\"\n\n" +
                "depend() {\n\tneed localmount\n\tafter clock root sysctl\n\tbefore logger\n" + noContainers + "}\n\n" +
                "start() {\n\tebegin \"Creating user login records\"\n" +
                "\t: > /run/utmp && checkpath -f -m 0664 -o root:utmp /run/utmp /var/log/wtmp\n\teend $?\n" +
                "\trm -f /etc/nologin /run/nologin\n\treturn 0\n}\n"),
            ("sysctl", new[] { "boot" },
                "description=\"Applies the kernel parameters in /etc/sysctl.d and /etc/sysctl.conf\"\n\n" +
                "depend() {\n\tafter root\n\tbefore bootmisc logger\n" + noContainers + "}\n\n" +
                "start() {\n\tebegin \"Configuring kernel parameters\"\n\tsysctl -q --system\n\teend $?\n}\n"),
            ("seedrng", new[] { "boot" },
                "description=\"Seeds the kernel's random number generator from the saved seed, and saves a new one\"\n\n" +
                "depend() {\n\tneed localmount\n" + noContainers + "}\n\n" +
                "start() {\n\tebegin \"Seeding random number generator\"\n\t/lib/rc/sbin/seedrng\n\teend $?\n}\n\n" +
                "stop() {\n\tebegin \"Saving random seed\"\n\t/lib/rc/sbin/seedrng\n\teend $?\n}\n"),
            ("local", new[] { "default", "nonetwork" },
                "description=\"Runs the executables in /etc/local.d (*.start at start, *.stop at stop)\"\n\n" +
                "depend() {\n\tafter *\n\tkeyword -timeout\n}\n\n" +
                "run_local() {\n\tlocal f\n\tfor f in /etc/local.d/*.\"$1\"; do\n\t\t[ -x \"$f\" ] || continue\n" +
                "\t\t\"$f\" || ewarn \"$f returned $?\"\n\tdone\n\treturn 0\n}\n\n" +
                "start() {\n\trun_local start\n}\n\nstop() {\n\trun_local stop\n}\n"),
            ("killprocs", new[] { "shutdown" },
                "description=\"Ends every remaining process before the file systems go read-only\"\n\n" +
                "depend() {\n" + noContainers + "}\n\n" +
                "start() {\n\tebegin \"Terminating remaining processes\"\n\tkillall5 -15\n\tsleep 1\n\teend 0\n" +
                "\tebegin \"Killing remaining processes\"\n\tkillall5 -9\n\teend 0\n}\n"),
            ("mount-ro", new[] { "shutdown" },
                "description=\"Remounts the file systems read-only for a clean shutdown\"\n\n" +
                "depend() {\n\tneed killprocs savecache\n" + noContainers + "}\n\n" +
                "start() {\n\tsync\n\tebegin \"Remounting remaining file systems read-only\"\n" +
                "\tumount -a -r -t noproc,nosysfs,nodevtmpfs,nodevpts,notmpfs,nocgroup,nocgroup2,nosecurityfs,noefivarfs 2>/dev/null\n" +
                "\tmount -n -o remount,ro /\n\teend $?\n}\n"),
        };

        foreach (var (name, levels, body) in services)
        {
            yield return ($"/etc/init.d/{name}", $"#!/sbin/openrc-run\n# Gentoo layout: OpenRC's {name} service, written for this root.\n\n{body}", "755");
            foreach (var level in levels)
            {
                yield return ($"/etc/runlevels/{level}/{name}", $"SYMLINK /etc/init.d/{name}", "777");
            }
        }

        // OpenRC's own scripts that Gentoo's runlevels hold: cgroups (sysinit) and savecache (shutdown).
        yield return ("/etc/runlevels/sysinit/cgroups", "SYMLINK /etc/init.d/cgroups", "777");
        yield return ("/etc/runlevels/shutdown/savecache", "SYMLINK /etc/init.d/savecache", "777");
    }

    private static void Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            var text = output + err.Result;
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {text[^Math.Min(text.Length, 4000)..]}");
        }
    }
}
