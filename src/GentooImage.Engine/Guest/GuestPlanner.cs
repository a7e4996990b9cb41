using System.Text;
using System.Text.RegularExpressions;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Guest;

/// <summary>
/// Works out the changes that make a root a cloud guest, reading the root only. Changes already in
/// effect are left out, so a second run plans nothing; several edits of one file become one change.
/// </summary>
internal sealed class GuestPlanner
{
    public const string LibexecDir = "/usr/libexec/gentooimage";
    public const string GrowRootScript = LibexecDir + "/growroot";
    public const string NetUpScript = LibexecDir + "/netup";
    public const string UdhcpcScript = LibexecDir + "/udhcpc.script";
    public const string NetDataScript = LibexecDir + "/netdata";
    public const string NetDataService = "gentooimage-netdata";
    public const string GrowRootMarker = "/var/lib/gentooimage/growroot.done";
    public const string GrowRootLocalD = "/etc/local.d/gentooimage-growroot.start";
    public const string GrowRootUnit = "gentooimage-growroot.service";
    public const string DatasourceFile = "/etc/cloud/cloud.cfg.d/90_gentooimage_datasources.cfg";
    public const string GrowpartFile = "/etc/cloud/cloud.cfg.d/91_gentooimage_growpart.cfg";
    public const string HostsFile = "/etc/cloud/cloud.cfg.d/92_gentooimage_hosts.cfg";
    public const string CloudNetworkFile = "/etc/cloud/cloud.cfg.d/93_gentooimage_network.cfg";
    public const string SshdDropIn = "/etc/ssh/sshd_config.d/01-gentooimage.conf";
    public const string NetworkdFile = "/etc/systemd/network/50-gentooimage-dhcp.network";
    public const string SerialGettyLine = "s0:12345:respawn:/sbin/agetty -L 115200 ttyS0 vt100";
    public const string XenGettyLine = "h0:12345:respawn:/sbin/agetty -L 115200 hvc0 vt100";

    private const UnixFileMode Exec = (UnixFileMode)0b111_101_101;
    private const UnixFileMode Regular = (UnixFileMode)0b110_100_100;

    private static readonly string[] s_historyFiles =
        { ".bash_history", ".ash_history", ".sh_history", ".history", ".zsh_history", ".python_history", ".lesshst", ".viminfo", ".wget-hsts" };
    private static readonly Regex s_hostname = new(@"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$", RegexOptions.CultureInvariant);
    private static readonly Regex s_timezone = new(@"^[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*$", RegexOptions.CultureInvariant);

    private readonly BuildRoot _root;
    private readonly GuestOptions _options;
    private readonly OperationContext _ctx;
    private readonly GuestRootFs _fs;
    private readonly List<GuestChange> _changes = new();
    private readonly Dictionary<string, string> _pending = new(StringComparer.Ordinal);
    private readonly List<string> _notes = new();
    private InitSystem _init;

    public GuestPlanner(BuildRoot root, GuestOptions options, OperationContext ctx)
    {
        _root = root;
        _options = options;
        _ctx = ctx;
        _fs = new GuestRootFs(root.Path);
    }

    public GuestPlan Plan()
    {
        Validate();
        var detected = _options.InitSystem is null;
        var why = "given";
        _init = _options.InitSystem ?? Detect(_fs, out why);
        _ctx.Verbose(detected ? $"Init system: {_init} ({why})." : $"Init system: {_init} (given).");

        // Root growth before DHCP (busybox sysinit lines run in this order); hygiene last.
        var order = new[]
        {
            GuestPart.SerialConsole, GuestPart.GrowRoot, GuestPart.Network, GuestPart.Ssh, GuestPart.RootPassword,
            GuestPart.CloudInit, GuestPart.Hostname, GuestPart.Timezone, GuestPart.Hygiene,
        };
        foreach (var part in order)
        {
            if (!_options.Includes(part))
            {
                Note($"{part} skipped (-Skip).");
                continue;
            }

            _ctx.ThrowIfCancelled("planning the cloud guest changes");
            switch (part)
            {
                case GuestPart.SerialConsole: PlanSerialConsole(); break;
                case GuestPart.GrowRoot: PlanGrowRoot(); break;
                case GuestPart.Network: PlanNetwork(); break;
                case GuestPart.Ssh: PlanSsh(); break;
                case GuestPart.RootPassword: PlanRootPassword(); break;
                case GuestPart.CloudInit: PlanCloudInit(); break;
                case GuestPart.Hostname: PlanHostname(); break;
                case GuestPart.Timezone: PlanTimezone(); break;
                case GuestPart.Hygiene: PlanHygiene(); break;
            }
        }

        return new GuestPlan(_root.Path, _init, detected, _changes.ToList(), _notes.ToList());
    }

    // ---- init system ---------------------------------------------------------------------------

    public static InitSystem Detect(GuestRootFs fs, out string why)
    {
        var init = fs.FileExists("/sbin/init") ? fs.ResolveInRoot("/sbin/init") : null;
        var openrc = fs.FirstFile("/sbin/openrc", "/usr/sbin/openrc", "/sbin/openrc-init", "/usr/sbin/openrc-init");
        var systemd = fs.FirstFile("/usr/lib/systemd/systemd", "/lib/systemd/systemd");
        if (init is not null && init.EndsWith("/systemd", StringComparison.Ordinal))
        {
            why = $"/sbin/init is {init}";
            return InitSystem.Systemd;
        }

        if (init is not null && Path.GetFileName(init) == "busybox" && openrc is null && systemd is null)
        {
            why = "/sbin/init is busybox and neither OpenRC nor systemd is installed";
            return InitSystem.BusyboxInit;
        }

        if (openrc is not null)
        {
            why = $"{openrc} is present";
            return InitSystem.OpenRC;
        }

        if (systemd is not null)
        {
            why = $"{systemd} is present";
            return InitSystem.Systemd;
        }

        if (fs.DirectoryExists("/etc/runlevels"))
        {
            why = "/etc/runlevels is present";
            return InitSystem.OpenRC;
        }

        throw new GentooImageException(
            ErrorKind.GuestConfigFailed,
            $"Cannot tell the init system of '{fs.Root}': it has no /sbin/openrc, no systemd (/lib/systemd/systemd), no busybox /sbin/init and no /etc/runlevels. " +
            "Pass -InitSystem OpenRC, Systemd or BusyboxInit, or check that the path is an extracted stage3.",
            fs.Root);
    }

    // ---- parts ---------------------------------------------------------------------------------

    private void PlanSerialConsole()
    {
        switch (_init)
        {
            case InitSystem.OpenRC:
                if (_fs.FileExists("/etc/inittab"))
                {
                    EditInittab(GuestPart.SerialConsole, new Regex(@"^\s*#?\s*s0:"), SerialGettyLine, "getty on ttyS0 at 115200");
                    if (_options.XenConsole)
                    {
                        EditInittab(GuestPart.SerialConsole, new Regex(@"^\s*#?\s*h0:"), XenGettyLine, "getty on hvc0 (Xen PV console)");
                    }
                }
                else if (_fs.FileExists("/etc/init.d/agetty"))
                {
                    // openrc-init roots have no inittab: gettys are agetty.<tty> services.
                    foreach (var tty in Ttys())
                    {
                        Link(GuestPart.SerialConsole, $"/etc/init.d/agetty.{tty}", "agetty");
                        EnableOpenRc(GuestPart.SerialConsole, $"agetty.{tty}", "default", mustExist: false);
                    }
                }
                else
                {
                    Note("The root has neither /etc/inittab nor /etc/init.d/agetty: no serial getty configured.", warn: true);
                }

                break;
            case InitSystem.Systemd:
                foreach (var tty in Ttys())
                {
                    EnableUnit(GuestPart.SerialConsole, "serial-getty@.service", tty);
                }

                break;
            case InitSystem.BusyboxInit:
                var getty = _fs.FirstFile("/sbin/getty", "/bin/getty", "/usr/sbin/getty", "/usr/bin/getty") ?? "/sbin/getty";
                foreach (var tty in Ttys())
                {
                    EditInittab(GuestPart.SerialConsole, new Regex($@"^{tty}:"), $"{tty}::respawn:{getty} -L 115200 {tty} vt100", $"getty on {tty} at 115200");
                }

                break;
        }
    }

    private IEnumerable<string> Ttys() => _options.XenConsole ? new[] { "ttyS0", "hvc0" } : new[] { "ttyS0" };

    private void PlanGrowRoot()
    {
        var cloudInit = _fs.FileExists("/usr/bin/cloud-init") && _options.Includes(GuestPart.CloudInit);
        var growpart = _fs.FirstFile("/usr/bin/growpart", "/usr/sbin/growpart", "/bin/growpart", "/sbin/growpart");
        if (cloudInit && growpart is not null && _init != InitSystem.BusyboxInit)
        {
            WriteFile(GuestPart.GrowRoot, GrowpartFile,
                "# Written by GentooImage (Initialize-CloudGuest): grow / and its file system on first boot.\n" +
                "growpart:\n  mode: auto\n  devices: ['/']\nresize_rootfs: true\n",
                Regular, "cloud-init growpart and resize_rootfs for /");
            Note($"Root growth by cloud-init's growpart ({growpart}).");
            return;
        }

        WriteFile(GuestPart.GrowRoot, GrowRootScript, GuestRootFs.Script("growroot.sh"), Exec, "first-boot root growth script");
        switch (_init)
        {
            case InitSystem.OpenRC:
                WriteFile(GuestPart.GrowRoot, GrowRootLocalD,
                    "#!/bin/sh\n# GentooImage: grow the root partition and file system once, on first boot.\n" +
                    $"[ -e {GrowRootMarker} ] || /bin/sh {GrowRootScript}\n",
                    Exec, "run it from the local service");
                EnableOpenRc(GuestPart.GrowRoot, "local", "default");
                break;
            case InitSystem.Systemd:
                var unit = "/etc/systemd/system/" + GrowRootUnit;
                WriteFile(GuestPart.GrowRoot, unit,
                    "# Written by GentooImage (Initialize-CloudGuest).\n" +
                    "[Unit]\nDescription=Grow the root partition and file system to fill the disk (first boot)\n" +
                    $"ConditionPathExists=!{GrowRootMarker}\nAfter=local-fs.target\n\n" +
                    $"[Service]\nType=oneshot\nExecStart=/bin/sh {GrowRootScript}\n\n" +
                    "[Install]\nWantedBy=multi-user.target\n",
                    Regular, "oneshot unit " + GrowRootUnit);
                Link(GuestPart.GrowRoot, "/etc/systemd/system/multi-user.target.wants/" + GrowRootUnit, unit);
                break;
            case InitSystem.BusyboxInit:
                AddSysinit(GuestPart.GrowRoot, $"::sysinit:/bin/sh {GrowRootScript}", "run the root growth at sysinit");
                break;
        }
    }

    private void PlanNetwork()
    {
        switch (_init)
        {
            case InitSystem.OpenRC:
                if (_fs.FileExists("/etc/init.d/dhcpcd"))
                {
                    EnableOpenRc(GuestPart.Network, "dhcpcd", "default");
                }
                else if (_fs.FileExists("/etc/init.d/net.lo"))
                {
                    var conf = Current("/etc/conf.d/net") ?? string.Empty;
                    WriteFile(GuestPart.Network, "/etc/conf.d/net", SetLine(conf, new Regex(@"^\s*config_eth0\s*="), "config_eth0=\"dhcp\""), Regular, "netifrc: DHCP on eth0");
                    Link(GuestPart.Network, "/etc/init.d/net.eth0", "net.lo");
                    EnableOpenRc(GuestPart.Network, "net.eth0", "default", mustExist: false);
                    KernelArgument(GuestPart.Network, "net.ifnames=0", "so the first NIC is eth0 whatever its bus");
                }
                else
                {
                    Note("Neither dhcpcd (/etc/init.d/dhcpcd) nor netifrc (/etc/init.d/net.lo) is installed: no DHCP configured. Install net-misc/dhcpcd.", warn: true);
                    break;
                }

                PlanOpenRcNetworkData();
                break;
            case InitSystem.Systemd:
                if (FindUnit("dhcpcd.service") is not null)
                {
                    EnableUnit(GuestPart.Network, "dhcpcd.service");
                }
                else if (FindUnit("systemd-networkd.service") is not null)
                {
                    WriteFile(GuestPart.Network, NetworkdFile,
                        "# Written by GentooImage (Initialize-CloudGuest): DHCP on every wired interface.\n" +
                        "[Match]\nType=ether\nName=en* eth*\n\n[Network]\nDHCP=yes\n",
                        Regular, "systemd-networkd: DHCP on en* eth*");
                    EnableUnit(GuestPart.Network, "systemd-networkd.service");
                    if (FindUnit("systemd-resolved.service") is not null)
                    {
                        EnableUnit(GuestPart.Network, "systemd-resolved.service");
                    }
                }
                else
                {
                    Note("Neither dhcpcd.service nor systemd-networkd.service is installed: no DHCP configured.", warn: true);
                }

                break;
            case InitSystem.BusyboxInit:
                WriteFile(GuestPart.Network, NetUpScript, GuestRootFs.Script("netup.sh"), Exec, "DHCP on every wired interface (dhcpcd, else udhcpc)");
                WriteFile(GuestPart.Network, UdhcpcScript, GuestRootFs.Script("udhcpc.script"), Exec, "udhcpc lease script");
                AddSysinit(GuestPart.Network, $"::sysinit:/bin/sh {NetUpScript}", "start DHCP at sysinit");
                break;
        }
    }

    /// <summary>
    /// Static networks from the config drive's network_data.json, which cloud-init cannot render on
    /// OpenRC: a boot service (before net) that writes dhcpcd's or netifrc's static configuration.
    /// </summary>
    private void PlanOpenRcNetworkData()
    {
        if (!_fs.FileExists("/usr/bin/python3"))
        {
            Note("python3 is not installed: static networks from OpenStack's network_data.json are not configured (DHCP only).");
            return;
        }

        WriteFile(GuestPart.Network, NetDataScript, GuestRootFs.Script("netdata.py"), Exec, "static IPv4 from network_data.json (config drive)");
        WriteFile(GuestPart.Network, "/etc/init.d/" + NetDataService,
            "#!/sbin/openrc-run\n# Written by GentooImage (Initialize-CloudGuest).\n" +
            "description=\"Static network configuration from the OpenStack config drive (network_data.json)\"\n\n" +
            "depend() {\n\tafter localmount udev\n\tbefore net dhcpcd\n}\n\n" +
            $"start() {{\n\tebegin \"Reading network_data.json\"\n\t/usr/bin/python3 {NetDataScript}\n\teend $?\n}}\n",
            Exec, "OpenRC service that runs it before the network");
        Link(GuestPart.Network, $"/etc/runlevels/boot/{NetDataService}", "/etc/init.d/" + NetDataService);
    }

    private void PlanSsh()
    {
        var installed = true;
        switch (_init)
        {
            case InitSystem.OpenRC:
                installed = _fs.FileExists("/etc/init.d/sshd");
                if (installed)
                {
                    EnableOpenRc(GuestPart.Ssh, "sshd", "default");
                }

                break;
            case InitSystem.Systemd:
                // Gentoo ships sshd.service; Debian ssh.service with Alias=sshd.service.
                var sshUnit = new[] { "sshd.service", "ssh.service" }.FirstOrDefault(u => FindUnit(u) is not null);
                installed = sshUnit is not null;
                if (installed)
                {
                    EnableUnit(GuestPart.Ssh, sshUnit!);
                }

                break;
            case InitSystem.BusyboxInit:
                installed = _fs.FileExists("/usr/sbin/sshd");
                if (installed)
                {
                    if (_fs.FileExists("/usr/bin/ssh-keygen"))
                    {
                        AddSysinit(GuestPart.Ssh, "::sysinit:/usr/bin/ssh-keygen -A", "generate host keys at sysinit");
                    }

                    AddInittabLine(GuestPart.Ssh, "::respawn:/usr/sbin/sshd -D", "run sshd");
                }

                break;
        }

        if (!installed)
        {
            Note("sshd is not installed: not enabled (host keys are still removed).");
        }

        PlanSshKeysOnly();

        foreach (var name in _fs.List("/etc/ssh").Where(n => n.StartsWith("ssh_host_", StringComparison.Ordinal)))
        {
            Delete(GuestPart.Ssh, "/etc/ssh/" + name, "host key of the build");
        }
    }

    /// <summary>
    /// Logins over SSH by key only, as cloud images do: the key comes from the metadata, and a
    /// password prompt on a public address only invites guessing. sshd takes the first value it
    /// reads, so a drop-in read first (when sshd_config includes sshd_config.d) wins; otherwise the
    /// main file is edited.
    /// </summary>
    private void PlanSshKeysOnly()
    {
        var config = Current("/etc/ssh/sshd_config");
        if (config is null)
        {
            return;
        }

        const string why = "SSH logins by key only";
        var settings = new[] { "PasswordAuthentication no", "KbdInteractiveAuthentication no" };
        if (Regex.IsMatch(config, @"(?mi)^\s*Include\s+/etc/ssh/sshd_config\.d/\*\.conf\s*$"))
        {
            WriteFile(GuestPart.Ssh, SshdDropIn,
                "# Written by GentooImage (Initialize-CloudGuest): logins by SSH key only.\n" + string.Join("\n", settings) + "\n", Regular, why);
            return;
        }

        foreach (var setting in settings)
        {
            var key = setting.Split(' ')[0];
            config = SetLine(config, new Regex($@"^\s*#?\s*{key}\s", RegexOptions.IgnoreCase), setting);
        }

        WriteFile(GuestPart.Ssh, "/etc/ssh/sshd_config", config, Regular, why);
    }

    private void PlanRootPassword()
    {
        var shadow = Current("/etc/shadow");
        if (shadow is null)
        {
            Note("The root has no /etc/shadow: root password left alone.", warn: true);
            return;
        }

        if (_options.RootPassword == RootPasswordMode.Empty)
        {
            _ctx.Warning("-RootPassword Empty: root logs in on the console without a password. Use this only for test images, never for an image others can boot.");
        }

        var lines = shadow.Split('\n').ToList();
        var index = lines.FindIndex(l => l.StartsWith("root:", StringComparison.Ordinal));
        if (index < 0)
        {
            Note("/etc/shadow has no root entry: root password left alone.", warn: true);
            return;
        }

        var fields = lines[index].Split(':');
        if (fields.Length < 2)
        {
            Note("The root entry of /etc/shadow is malformed: root password left alone.", warn: true);
            return;
        }

        var current = fields[1];
        var wanted = _options.RootPassword switch
        {
            RootPasswordMode.Empty => string.Empty,
            _ => current is "*" or "!" or "!*" ? current : "!",
        };
        if (wanted == current)
        {
            return;
        }

        fields[1] = wanted;
        lines[index] = string.Join(':', fields);
        WriteFile(GuestPart.RootPassword, "/etc/shadow", string.Join('\n', lines), (UnixFileMode)0b110_100_000,
            _options.RootPassword == RootPasswordMode.Empty ? "root password empty" : "root password locked");
    }

    private void PlanCloudInit()
    {
        if (!_fs.FileExists("/usr/bin/cloud-init"))
        {
            Note("cloud-init is not installed (/usr/bin/cloud-init): no cloud-init services or datasources. Install app-emulation/cloud-init for SSH keys and user data from the metadata service.");
            return;
        }

        switch (_init)
        {
            case InitSystem.OpenRC:
                foreach (var (svc, level) in new[] { ("cloud-init-local", "boot"), ("cloud-init", "default"), ("cloud-config", "default"), ("cloud-final", "default") })
                {
                    EnableOpenRc(GuestPart.CloudInit, svc, level);
                }

                // Upstream cloud-init has no OpenRC/netifrc network renderer (canonical/cloud-init#3999): left on,
                // it logs "Unable to render networking" as an error on every boot. The network is dhcpcd's or netifrc's.
                WriteFile(GuestPart.CloudInit, CloudNetworkFile,
                    "# Written by GentooImage (Initialize-CloudGuest): cloud-init cannot render networking for OpenRC;\n" +
                    "# the network is configured by dhcpcd / netifrc.\nnetwork:\n  config: disabled\n",
                    Regular, "cloud-init network rendering off (no OpenRC renderer)");

                break;
            case InitSystem.Systemd:
                foreach (var unit in new[] { "cloud-init-main.service", "cloud-init-local.service", "cloud-init-network.service", "cloud-init.service", "cloud-config.service", "cloud-final.service" })
                {
                    if (FindUnit(unit) is not null)
                    {
                        EnableUnit(GuestPart.CloudInit, unit);
                    }
                }

                if (FindUnit("cloud-init.target") is not null)
                {
                    EnableUnit(GuestPart.CloudInit, "cloud-init.target");
                }

                break;
            case InitSystem.BusyboxInit:
                Note("cloud-init has no busybox init integration: its services are not enabled.", warn: true);
                break;
        }

        var list = string.Join(", ", _options.Datasources.Distinct());
        WriteFile(GuestPart.CloudInit, DatasourceFile,
            $"# Written by GentooImage (Initialize-CloudGuest).\ndatasource_list: [ {list} ]\n",
            Regular, $"datasource_list: {list}");
    }

    private void PlanHostname()
    {
        var name = _options.Hostname;
        WriteFile(GuestPart.Hostname, "/etc/hostname", name + "\n", Regular, $"hostname {name}");

        // The name must resolve (sudo, mail, Java...): 127.0.1.1 as Debian does, leaving 127.0.0.1 to localhost.
        var dot = name.IndexOf('.');
        var names = dot > 0 ? $"{name} {name[..dot]}" : name;
        var hosts = Current("/etc/hosts") ?? "127.0.0.1\tlocalhost\n::1\t\tlocalhost\n";
        WriteFile(GuestPart.Hostname, "/etc/hosts", SetLine(hosts, new Regex(@"^\s*127\.0\.1\.1\s"), "127.0.1.1\t" + names), Regular, $"{name} resolves to 127.0.1.1");
        if (_options.Includes(GuestPart.CloudInit) && _fs.FileExists("/usr/bin/cloud-init"))
        {
            // cloud-init sets the instance's hostname from the metadata; "localhost" mode keeps /etc/hosts
            // resolving it (edits the 127.0.1.1 entry in place, no distro template needed).
            WriteFile(GuestPart.Hostname, HostsFile,
                "# Written by GentooImage (Initialize-CloudGuest): keep the instance's hostname resolvable.\nmanage_etc_hosts: localhost\n",
                Regular, "cloud-init manage_etc_hosts: localhost");
        }
        if (_init == InitSystem.OpenRC)
        {
            var conf = Current("/etc/conf.d/hostname") ?? string.Empty;
            WriteFile(GuestPart.Hostname, "/etc/conf.d/hostname", SetLine(conf, new Regex(@"^\s*hostname\s*="), $"hostname=\"{name}\""), Regular, $"hostname {name}");
        }
        else if (_init == InitSystem.BusyboxInit)
        {
            AddSysinit(GuestPart.Hostname, "::sysinit:/bin/hostname -F /etc/hostname", "set the hostname at sysinit");
        }
    }

    private void PlanTimezone()
    {
        var tz = _options.Timezone;
        var zone = "/usr/share/zoneinfo/" + tz;
        if (!_fs.FileExists(zone))
        {
            var message = $"{zone} is not in the root (sys-libs/timezone-data): /etc/localtime will point at a missing file until it is installed.";
            if (tz == "UTC")
            {
                Note(message + " The C library falls back to UTC meanwhile.");
            }
            else
            {
                Note(message, warn: true);
            }
        }

        WriteFile(GuestPart.Timezone, "/etc/timezone", tz + "\n", Regular, $"timezone {tz}");
        Link(GuestPart.Timezone, "/etc/localtime", "../usr/share/zoneinfo/" + tz);
    }

    private void PlanHygiene()
    {
        var machineId = Current("/etc/machine-id");
        if (machineId is { Length: > 0 } || (machineId is null && _init == InitSystem.Systemd))
        {
            WriteFile(GuestPart.Hygiene, "/etc/machine-id", string.Empty, (UnixFileMode)0b100_100_100, "empty machine-id (each instance makes its own)");
        }

        if (_fs.FileExists("/var/lib/dbus/machine-id") && _fs.LinkTarget("/var/lib/dbus/machine-id") is null)
        {
            Delete(GuestPart.Hygiene, "/var/lib/dbus/machine-id", "D-Bus machine id of the build");
        }

        foreach (var home in new[] { "/root" }.Concat(_fs.List("/home").Select(h => "/home/" + h)))
        {
            foreach (var file in s_historyFiles)
            {
                Delete(GuestPart.Hygiene, $"{home}/{file}", "shell/tool history");
            }
        }

        Delete(GuestPart.Hygiene, "/etc/udev/rules.d/70-persistent-net.rules", "MAC-bound interface names");
        Delete(GuestPart.Hygiene, "/var/log/gentooimage", "GentooImage's build logs");
        foreach (var name in _fs.List("/var/tmp").Where(n => n.StartsWith("gentooimage-", StringComparison.Ordinal)))
        {
            Delete(GuestPart.Hygiene, "/var/tmp/" + name, "GentooImage's build scripts");
        }

        if (HasLogs("/var/log"))
        {
            Add(new GuestChange { Part = GuestPart.Hygiene, Kind = GuestChangeKind.TruncateLogs, Path = "/var/log", Description = "truncate logs under /var/log, remove rotated ones (directories kept)" });
        }

        EmptyDirectory(GuestPart.Hygiene, "/var/tmp/portage", "portage build directories");
        if (_options.CleanPortage)
        {
            EmptyDirectory(GuestPart.Hygiene, "/var/cache/distfiles", "portage distfiles (-CleanPortage)");
        }

        Note("/etc/resolv.conf is left as it is: Dismount-BuildFilesystems restores the root's own.");
    }

    // ---- building blocks -----------------------------------------------------------------------

    private void Validate()
    {
        if (!Directory.Exists(_root.Path))
        {
            throw BuildRootGuard.NotFound(_root.Path);
        }

        if (!_fs.DirectoryExists("/etc"))
        {
            throw new GentooImageException(ErrorKind.GuestConfigFailed, $"'{_root.Path}' has no /etc: it is not an extracted root. Extract a stage3 into it first (New-Stage3Root).", _root.Path);
        }

        if (_options.Includes(GuestPart.Hostname) && !s_hostname.IsMatch(_options.Hostname ?? string.Empty))
        {
            throw new GentooImageException(ErrorKind.InvalidArgument, $"'{_options.Hostname}' is not a valid host name: use letters, digits and '-' in dot-separated labels of up to 63 characters (e.g. 'gentoo').", _options.Hostname);
        }

        if (_options.Includes(GuestPart.Timezone) && (!s_timezone.IsMatch(_options.Timezone ?? string.Empty) || _options.Timezone!.Split('/').Contains("..")))
        {
            throw new GentooImageException(ErrorKind.InvalidArgument, $"'{_options.Timezone}' is not a zoneinfo name: use a name such as 'UTC' or 'Europe/Berlin'.", _options.Timezone);
        }

        if (_options.Includes(GuestPart.CloudInit) && _options.Datasources.Count == 0)
        {
            throw new GentooImageException(ErrorKind.InvalidArgument, "The cloud-init datasource list is empty: give at least one -Datasource (e.g. OpenStack), or -Skip CloudInit.", null);
        }
    }

    private void Note(string message, bool warn = false)
    {
        _notes.Add(message);
        if (warn)
        {
            _ctx.Warning(message);
        }
        else
        {
            _ctx.Verbose(message);
        }
    }

    private string? Current(string path) => _pending.TryGetValue(path, out var text) ? text : _fs.ReadText(path);

    private void Add(GuestChange change) => _changes.Add(change);

    private void WriteFile(GuestPart part, string path, string content, UnixFileMode mode, string why)
    {
        var current = Current(path);
        var isLink = _fs.LinkTarget(path) is not null;
        if (current == content && !isLink)
        {
            return;
        }

        _pending[path] = content;
        var existing = _changes.FindIndex(c => c.Kind == GuestChangeKind.WriteFile && c.Path == path);
        if (existing >= 0)
        {
            var prior = _changes[existing];
            _changes[existing] = prior with { Value = content, Description = prior.Description + "; " + why };
            return;
        }

        Add(new GuestChange
        {
            Part = part,
            Kind = GuestChangeKind.WriteFile,
            Path = path,
            Value = content,
            Mode = mode,
            Description = $"write {path} ({why})",
        });
    }

    private void Link(GuestPart part, string path, string target)
    {
        var existing = _fs.LinkTarget(path);
        if (existing == target || _changes.Any(c => c.Kind == GuestChangeKind.Symlink && c.Path == path))
        {
            return;
        }

        if (existing is not null && target.StartsWith('/') && SameFile(path, target))
        {
            // Already a link to the same file by another name (/lib/... on a merged /usr): systemctl keeps it too.
            return;
        }

        Add(new GuestChange { Part = part, Kind = GuestChangeKind.Symlink, Path = path, Value = target, Description = $"link {path} -> {target}" });
    }

    private bool SameFile(string link, string target)
    {
        try
        {
            var a = _fs.Resolve(link);
            return File.Exists(a) && a == _fs.Resolve(target);
        }
        catch (GentooImageException)
        {
            return false; // A loop: not the same, replace it.
        }
    }

    private void Delete(GuestPart part, string path, string why)
    {
        if (!_fs.EntryExists(path))
        {
            return;
        }

        Add(new GuestChange { Part = part, Kind = GuestChangeKind.Delete, Path = path, Description = $"remove {path} ({why})" });
    }

    private void EmptyDirectory(GuestPart part, string path, string why)
    {
        if (MountTable.Below(MountTable.Read(), _fs.Resolve(path)).Count > 0)
        {
            // A tmpfs or a host cache bound there by Mount-BuildFilesystems: its content is not the root's.
            Note($"{path} is a mount point now and was left alone; its content never goes into an image.", warn: path != "/var/tmp/portage");
            return;
        }

        if (_fs.LinkTarget(path) is null && _fs.List(path).Any())
        {
            Add(new GuestChange { Part = part, Kind = GuestChangeKind.EmptyDirectory, Path = path, Description = $"empty {path} ({why})" });
        }
    }

    private void KernelArgument(GuestPart part, string argument, string why)
    {
        if (_root.KernelArguments.Contains(argument))
        {
            return;
        }

        Add(new GuestChange { Part = part, Kind = GuestChangeKind.KernelArgument, Value = argument, Description = $"add kernel argument {argument} for the image ({why})" });
    }

    private bool HasLogs(string dir)
    {
        var host = _fs.Resolve(dir);
        if (!Directory.Exists(host))
        {
            return false;
        }

        return EnumerateLogFiles(host).Any(f => f.Length > 0 || GuestApplier.IsRotated(f.Name));
    }

    internal static IEnumerable<FileInfo> EnumerateLogFiles(string hostDir)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true };
        return new DirectoryInfo(hostDir).EnumerateFiles("*", options);
    }

    /// <summary>What rc-update add &lt;svc&gt; &lt;level&gt; writes.</summary>
    private void EnableOpenRc(GuestPart part, string service, string level, bool mustExist = true)
    {
        if (mustExist && !_fs.FileExists("/etc/init.d/" + service))
        {
            Note($"/etc/init.d/{service} is not installed: not added to the {level} runlevel.", warn: part == GuestPart.CloudInit || part == GuestPart.GrowRoot);
            return;
        }

        Link(part, $"/etc/runlevels/{level}/{service}", "/etc/init.d/" + service);
    }

    private string? FindUnit(string unit) => SystemdUnitFiles.Find(_fs, unit)?.Path;

    /// <summary>
    /// What <c>systemctl enable</c> writes (systemd's install logic): the unit is looked up in the
    /// unit search path inside the root, an alias link is followed to the unit it names (Debian's
    /// <c>sshd.service</c> -> <c>ssh.service</c>), and the links come from the unit's own [Install]
    /// section: WantedBy= and RequiredBy= (.wants/ and .requires/ links named after the unit or the
    /// instance), Alias= (links in /etc/systemd/system), Also= (those units enabled too), and
    /// DefaultInstance= for a template enabled without an instance. A unit without [Install] is
    /// static: nothing is written, as systemctl writes nothing.
    /// </summary>
    private void EnableUnit(GuestPart part, string unit, string? instance = null, int depth = 0)
    {
        var file = SystemdUnitFiles.Find(_fs, unit);
        if (file is null)
        {
            Note($"The unit {unit} is not installed (in {string.Join(", ", SystemdUnitFiles.SearchPath)}): not enabled.", warn: true);
            return;
        }

        if (file.Masked)
        {
            Note($"The unit {unit} is masked ({file.Path} -> /dev/null): not enabled.", warn: true);
            return;
        }

        var install = SystemdInstall.Parse(_fs.ReadText(file.Path) ?? string.Empty);
        if (install.IsEmpty && install.DefaultInstance is null)
        {
            Note($"The unit {file.Name} has no [Install] section (it is static, started by the units that want it): nothing to enable.");
            return;
        }

        var template = file.Name.Contains("@.", StringComparison.Ordinal);
        instance ??= template ? install.DefaultInstance : null;
        var name = template && instance is not null ? file.Name.Replace("@.", "@" + instance + ".", StringComparison.Ordinal) : file.Name;
        if (template && instance is null)
        {
            Note($"The template unit {file.Name} has no DefaultInstance=: enable it with an instance name.", warn: true);
        }
        else
        {
            foreach (var target in install.WantedBy)
            {
                Link(part, $"/etc/systemd/system/{target}.wants/{name}", file.Path);
            }

            foreach (var target in install.RequiredBy)
            {
                Link(part, $"/etc/systemd/system/{target}.requires/{name}", file.Path);
            }

            foreach (var alias in install.Alias)
            {
                var aliasName = template && instance is not null && alias.Contains("@.", StringComparison.Ordinal)
                    ? alias.Replace("@.", "@" + instance + ".", StringComparison.Ordinal)
                    : alias;
                if (aliasName != name && !aliasName.Contains('/'))
                {
                    Link(part, "/etc/systemd/system/" + aliasName, file.Path);
                }
            }
        }

        if (depth < 8)
        {
            foreach (var also in install.Also.Where(a => a != file.Name && a != unit))
            {
                EnableUnit(part, also, null, depth + 1);
            }
        }
    }

    private void EditInittab(GuestPart part, Regex match, string line, string why)
    {
        var text = Current("/etc/inittab") ?? string.Empty;
        WriteFile(part, "/etc/inittab", SetLine(text, match, line), Regular, why);
    }

    /// <summary>Adds a busybox ::sysinit: line after the last one (so it runs once / is mounted read-write).</summary>
    private void AddSysinit(GuestPart part, string line, string why)
    {
        var text = Current("/etc/inittab") ?? string.Empty;
        var lines = SplitLines(text);
        if (lines.Contains(line))
        {
            return;
        }

        var last = lines.FindLastIndex(l => l.StartsWith("::sysinit:", StringComparison.Ordinal));
        lines.Insert(last + 1, line);
        WriteFile(part, "/etc/inittab", JoinLines(lines), Regular, why);
    }

    private void AddInittabLine(GuestPart part, string line, string why)
    {
        var text = Current("/etc/inittab") ?? string.Empty;
        var lines = SplitLines(text);
        if (lines.Contains(line))
        {
            return;
        }

        lines.Add(line);
        WriteFile(part, "/etc/inittab", JoinLines(lines), Regular, why);
    }

    /// <summary>Replaces the first line matching <paramref name="match"/> with <paramref name="line"/>, or appends it.</summary>
    internal static string SetLine(string text, Regex match, string line)
    {
        var lines = SplitLines(text);
        var index = lines.FindIndex(match.IsMatch);
        if (index >= 0)
        {
            lines[index] = line;
        }
        else
        {
            lines.Add(line);
        }

        return JoinLines(lines);
    }

    private static List<string> SplitLines(string text)
    {
        var lines = text.Split('\n').ToList();
        if (lines.Count > 0 && lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        return lines;
    }

    private static string JoinLines(List<string> lines)
    {
        var sb = new StringBuilder();
        foreach (var l in lines)
        {
            sb.Append(l).Append('\n');
        }

        return sb.ToString();
    }
}
