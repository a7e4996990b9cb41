using GentooImage.Engine.Guest;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;
using GentooImage.TestSupport;

namespace GentooImage.Engine.Tests;

/// <summary>File-level checks of Initialize-CloudGuest's engine on OpenRC, systemd and busybox-init fixture roots.</summary>
public sealed class CloudGuestTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gi-guest-").FullName;
    private readonly List<string> _warnings = new();

    public void Dispose() => Directory.Delete(_dir, true);

    private OperationContext Ctx => new(warning: w => _warnings.Add(w));

    private string P(string root, string rel) => Path.Combine(root, rel.TrimStart('/'));

    private string Link(string root, string rel) => new FileInfo(P(root, rel)).LinkTarget ?? $"<{rel} is not a link>";

    private string Text(string root, string rel) => File.ReadAllText(P(root, rel));

    private static void AssertSyntaxOk(string file)
    {
        var r = ProcessRunner.Instance.RunAsync(new ProcessSpec("busybox", "sh", "-n", file)).GetAwaiter().GetResult();
        Assert.True(r.Succeeded, $"busybox sh -n {file}: {r.StandardError}");
    }

    [Fact]
    public void HostnameResolvesThroughEtcHostsAndCloudInitKeepsItSo()
    {
        var path = FixtureGuestRoots.CreateOpenRc(Path.Combine(_dir, "root"));
        File.WriteAllText(P(path, "/etc/hosts"), "# Gentoo's hosts\n127.0.0.1\tlocalhost\n::1\t\tlocalhost\n127.0.1.1\tstage3-builder\n");
        var root = new BuildRoot(path);

        CloudGuest.Initialize(root, new GuestOptions { Hostname = "web1.example.org" }, Ctx);

        Assert.Equal("# Gentoo's hosts\n127.0.0.1\tlocalhost\n::1\t\tlocalhost\n127.0.1.1\tweb1.example.org web1\n", Text(path, "/etc/hosts"));
        Assert.Equal("# Written by GentooImage (Initialize-CloudGuest): keep the instance's hostname resolvable.\nmanage_etc_hosts: localhost\n",
            Text(path, "/etc/cloud/cloud.cfg.d/92_gentooimage_hosts.cfg"));
        Assert.Empty(CloudGuest.Plan(root, new GuestOptions { Hostname = "web1.example.org" }, Ctx).Changes);

        // A root without /etc/hosts gets localhost and the name; without cloud-init, no cloud.cfg.d file.
        var bare = FixtureGuestRoots.CreateOpenRc(Path.Combine(_dir, "bare"), withCloudInit: false);
        File.Delete(P(bare, "/etc/hosts"));
        CloudGuest.Initialize(new BuildRoot(bare), new GuestOptions(), Ctx);
        Assert.Equal("127.0.0.1\tlocalhost\n::1\t\tlocalhost\n127.0.1.1\tgentoo\n", Text(bare, "/etc/hosts"));
        Assert.False(File.Exists(P(bare, "/etc/cloud/cloud.cfg.d/92_gentooimage_hosts.cfg")));
    }

    [Fact]
    public void OpenRcStartsSshdBetweenCloudInitsNetworkAndConfigStagesAndKeepsTheRestOfConfD()
    {
        // The admin's values in every form the shell takes; sh itself says what OpenRC will read.
        foreach (var (before, expected) in new[]
        {
            ("# the admin's\nrc_before=\"apache2\"\nEXTRA=1\n", "apache2 sshd"),
            ("rc_before=apache2\nEXTRA=1", "apache2 sshd"),
            ("rc_before=\"apache2\" # mine\n", "apache2 sshd"),
            ("rc_before=\"apache2\n  nginx\"\n", "apache2 nginx sshd"),
            ("rc_before=\"a\"\nrc_before=\"b\"\n", "b sshd"),
        })
        {
            var path = FixtureGuestRoots.CreateOpenRc(Path.Combine(_dir, "root-" + Guid.NewGuid().ToString("N")));
            File.WriteAllText(P(path, "/etc/conf.d/cloud-init"), before);
            CloudGuest.Initialize(new BuildRoot(path), new GuestOptions(), Ctx);
            var text = Text(path, "/etc/conf.d/cloud-init");
            Assert.StartsWith(before, text);
            Assert.Equal(expected, Sourced(P(path, "/etc/conf.d/cloud-init"), "rc_before"));
            Assert.Equal("sshd", Sourced(P(path, "/etc/conf.d/cloud-config"), "rc_after"));

            // A second run changes nothing.
            Assert.Empty(CloudGuest.Plan(new BuildRoot(path), new GuestOptions(), Ctx).Changes);
            CloudGuest.Initialize(new BuildRoot(path), new GuestOptions(), Ctx);
            Assert.Equal(text, Text(path, "/etc/conf.d/cloud-init"));
        }

        // No sshd in the root: no order to give.
        var nossh = FixtureGuestRoots.CreateOpenRc(Path.Combine(_dir, "nossh"));
        File.Delete(P(nossh, "/etc/init.d/sshd"));
        CloudGuest.Initialize(new BuildRoot(nossh), new GuestOptions(), Ctx);
        Assert.False(File.Exists(P(nossh, "/etc/conf.d/cloud-init")));
        Assert.False(File.Exists(P(nossh, "/etc/conf.d/cloud-config")));
    }

    /// <summary>The value of <paramref name="name"/> after busybox sh sources <paramref name="file"/>, words joined by one space.</summary>
    private static string Sourced(string file, string name)
    {
        var r = ProcessRunner.Instance.RunAsync(new ProcessSpec("busybox", "sh", "-c", $"unset {name}; . \"$1\"; echo ${name}", "sh", file)).GetAwaiter().GetResult();
        Assert.True(r.Succeeded, r.StandardError);
        return string.Join(' ', r.StandardOutput.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void SshLoginsAreByKeyOnlyThroughADropInWhenSshdReadsOne()
    {
        var path = FixtureGuestRoots.CreateOpenRc(Path.Combine(_dir, "root"));
        const string debian = "Include /etc/ssh/sshd_config.d/*.conf\n#PasswordAuthentication yes\nKbdInteractiveAuthentication no\n";
        File.WriteAllText(P(path, "/etc/ssh/sshd_config"), debian);
        CloudGuest.Initialize(new BuildRoot(path), new GuestOptions(), Ctx);
        Assert.Equal(debian, Text(path, "/etc/ssh/sshd_config"));
        Assert.Equal("# Written by GentooImage (Initialize-CloudGuest): logins by SSH key only.\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n",
            Text(path, "/etc/ssh/sshd_config.d/01-gentooimage.conf"));
        Assert.Empty(CloudGuest.Plan(new BuildRoot(path), new GuestOptions(), Ctx).Changes);
    }

    [Fact]
    public void OpenRcRootBecomesACloudGuest()
    {
        var path = FixtureGuestRoots.CreateOpenRc(Path.Combine(_dir, "root"));
        var root = new BuildRoot(path);

        CloudGuest.Initialize(root, new GuestOptions(), Ctx);

        // Consoles: Gentoo's commented 9600 s0 line becomes a live one at 115200 and an hvc0 line (Xen
        // PV/PVH) is added, both through console-getty, which sleeps where its console is absent;
        // nothing else moves.
        var inittab = Text(path, "/etc/inittab");
        Assert.Contains("\ns0:12345:respawn:/usr/libexec/gentooimage/console-getty ttyS0 /sbin/agetty -L 115200 ttyS0 vt100\n", inittab);
        Assert.Contains("\nh0:12345:respawn:/usr/libexec/gentooimage/console-getty hvc0 /sbin/agetty -L 115200 hvc0 vt100\n", inittab);
        Assert.DoesNotContain("#s0:", inittab);
        Assert.Contains("#s1:12345:respawn:/sbin/agetty -L 9600 ttyS1 vt100", inittab);
        AssertSyntaxOk(P(path, "/usr/libexec/gentooimage/console-getty"));

        // Services: what rc-update add writes.
        Assert.Equal("/etc/init.d/sshd", Link(path, "/etc/runlevels/default/sshd"));
        Assert.Equal("/etc/init.d/dhcpcd", Link(path, "/etc/runlevels/default/dhcpcd"));
        Assert.Equal("/etc/init.d/cloud-init-local", Link(path, "/etc/runlevels/boot/cloud-init-local"));
        foreach (var svc in new[] { "cloud-init", "cloud-config", "cloud-final", "local" })
        {
            Assert.Equal("/etc/init.d/" + svc, Link(path, "/etc/runlevels/default/" + svc));
            Assert.True(File.Exists(P(path, "/etc/runlevels/default/" + svc)), svc + " link resolves");
        }

        Assert.False(File.Exists(P(path, "/etc/init.d/net.eth0")), "dhcpcd present: no netifrc");
        Assert.Empty(root.KernelArguments);

        // cloud-init makes only the host key types sshd loads.
        Assert.EndsWith("\nssh_genkeytypes: [rsa, ecdsa, ed25519]\n", Text(path, "/etc/cloud/cloud.cfg.d/94_gentooimage_hostkeys.cfg"));

        // sshd between cloud-init's network and config stages (OpenRC would start it last, by name).
        Assert.Equal("sshd", Sourced(P(path, "/etc/conf.d/cloud-init"), "rc_before"));
        Assert.Equal("sshd", Sourced(P(path, "/etc/conf.d/cloud-config"), "rc_after"));

        // SSH host keys of the build are gone; sshd_config stays, logins by key only.
        Assert.Empty(Directory.GetFiles(P(path, "/etc/ssh"), "ssh_host_*"));
        Assert.Equal("# fixture sshd_config\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n", Text(path, "/etc/ssh/sshd_config"));

        // Root stays locked ('*'), /etc/shadow keeps its mode.
        Assert.StartsWith("root:*:", Text(path, "/etc/shadow"));
        Assert.Equal("640", FixtureRoot.Run("stat", "-c", "%a", P(path, "/etc/shadow")).Trim());

        // cloud-init datasources, growth by our own local.d service (no growpart in the root).
        Assert.Equal("# Written by GentooImage (Initialize-CloudGuest).\ndatasource_list: [ OpenStack, ConfigDrive, NoCloud ]\n",
            Text(path, "/etc/cloud/cloud.cfg.d/90_gentooimage_datasources.cfg"));
        // No OpenRC network renderer in cloud-init: its network config is off, dhcpcd does the network.
        Assert.EndsWith("network:\n  config: disabled\n", Text(path, "/etc/cloud/cloud.cfg.d/93_gentooimage_network.cfg"));
        Assert.Contains("/usr/libexec/gentooimage/growroot", Text(path, "/etc/local.d/gentooimage-growroot.start"));
        Assert.Equal("755", FixtureRoot.Run("stat", "-c", "%a", P(path, "/etc/local.d/gentooimage-growroot.start")).Trim());
        AssertSyntaxOk(P(path, "/etc/local.d/gentooimage-growroot.start"));
        AssertSyntaxOk(P(path, "/usr/libexec/gentooimage/growroot"));
        Assert.False(File.Exists(P(path, "/etc/cloud/cloud.cfg.d/91_gentooimage_growpart.cfg")));

        // Identity.
        Assert.Equal("gentoo\n", Text(path, "/etc/hostname"));
        Assert.Contains("\nhostname=\"gentoo\"\n", Text(path, "/etc/conf.d/hostname"));
        Assert.DoesNotContain("localhost", Text(path, "/etc/conf.d/hostname").Split('\n').Where(l => !l.StartsWith('#')));
        Assert.Equal("UTC\n", Text(path, "/etc/timezone"));
        Assert.Equal("../usr/share/zoneinfo/UTC", Link(path, "/etc/localtime"));

        // Hygiene.
        Assert.Equal(string.Empty, Text(path, "/etc/machine-id"));
        Assert.False(File.Exists(P(path, "/root/.bash_history")));
        Assert.False(File.Exists(P(path, "/root/.ash_history")));
        Assert.Equal(0, new FileInfo(P(path, "/var/log/messages")).Length);
        Assert.False(File.Exists(P(path, "/var/log/messages.1.gz")));
        Assert.True(Directory.Exists(P(path, "/var/log/portage/elog")));
        Assert.False(Directory.Exists(P(path, "/var/log/gentooimage")));
        Assert.True(Directory.Exists(P(path, "/var/tmp/portage")));
        Assert.Empty(Directory.GetFileSystemEntries(P(path, "/var/tmp/portage")));
        Assert.False(File.Exists(P(path, "/var/tmp/gentooimage-script.sh")));
        Assert.True(File.Exists(P(path, "/var/cache/distfiles/foo-1.tar.xz")), "distfiles kept without CleanPortage");
        Assert.Equal("# fixture resolv.conf\nnameserver 192.0.2.53\n", Text(path, "/etc/resolv.conf"));

        // History, saved state, and a second run that has nothing left to do.
        var entry = Assert.Single(root.History);
        Assert.Equal("Initialize-CloudGuest", entry.Step);
        Assert.Equal(StepOutcome.Succeeded, entry.Outcome);
        Assert.Equal("OpenRC", entry.Data["InitSystem"]);
        Assert.Contains("link /etc/runlevels/default/sshd -> /etc/init.d/sshd", entry.Data["Changes"]);
        Assert.Equal(entry.Data["Changes"].Split('\n').Length.ToString(), entry.Data["ChangeCount"]);
        Assert.Single(BuildRootStore.Load(path).History);
        Assert.Empty(_warnings);

        var again = CloudGuest.Plan(root, new GuestOptions(), Ctx);
        Assert.Empty(again.Changes);
    }

    [Fact]
    public void OpenRcWithoutDhcpcdUsesNetifrcAndRecordsNetIfnames()
    {
        var path = FixtureGuestRoots.CreateOpenRc(Path.Combine(_dir, "root"), withDhcpcd: false);
        var root = new BuildRoot(path);

        CloudGuest.Initialize(root, new GuestOptions { RootPassword = RootPasswordMode.Empty, CleanPortage = true, Hostname = "web-1.example", Datasources = new List<CloudDatasource> { CloudDatasource.ConfigDrive } }, Ctx);

        Assert.Contains("\nconfig_eth0=\"dhcp\"\n", Text(path, "/etc/conf.d/net"));
        Assert.Equal("net.lo", Link(path, "/etc/init.d/net.eth0"));
        Assert.Equal("/etc/init.d/net.eth0", Link(path, "/etc/runlevels/default/net.eth0"));
        Assert.False(File.Exists(P(path, "/etc/runlevels/default/dhcpcd")));
        Assert.Equal(new[] { "net.ifnames=0" }, root.KernelArguments);
        Assert.Equal(new[] { "net.ifnames=0" }, BuildRootStore.Load(path).KernelArguments);

        var inittab = Text(path, "/etc/inittab");
        Assert.Contains("\ns0:12345:respawn:/usr/libexec/gentooimage/console-getty ttyS0 /sbin/agetty -L 115200 ttyS0 vt100\n", inittab);
        Assert.Contains("\nh0:12345:respawn:/usr/libexec/gentooimage/console-getty hvc0 /sbin/agetty -L 115200 hvc0 vt100\n", inittab);

        Assert.StartsWith("root::19000:", Text(path, "/etc/shadow"));
        Assert.Contains(_warnings, w => w.Contains("RootPassword Empty"));
        Assert.Empty(Directory.GetFileSystemEntries(P(path, "/var/cache/distfiles")));
        Assert.Equal("web-1.example\n", Text(path, "/etc/hostname"));
        Assert.Contains("datasource_list: [ ConfigDrive ]", Text(path, "/etc/cloud/cloud.cfg.d/90_gentooimage_datasources.cfg"));
        Assert.Equal("net.ifnames=0", root.History[^1].Data["KernelArguments"]);
    }

    [Fact]
    public void CloudInitGrowpartReplacesTheOwnGrowthService()
    {
        var path = FixtureGuestRoots.CreateOpenRc(Path.Combine(_dir, "root"), withGrowpart: true);
        CloudGuest.Initialize(new BuildRoot(path), new GuestOptions(), Ctx);
        Assert.Contains("growpart:\n  mode: auto\n  devices: ['/']\nresize_rootfs: true\n", Text(path, "/etc/cloud/cloud.cfg.d/91_gentooimage_growpart.cfg"));
        Assert.False(File.Exists(P(path, "/etc/local.d/gentooimage-growroot.start")));
        Assert.False(File.Exists(P(path, "/usr/libexec/gentooimage/growroot")));
    }

    [Fact]
    public void SystemdRootGetsWantsLinksAsSystemctlEnableWritesThem()
    {
        var path = FixtureGuestRoots.CreateSystemd(Path.Combine(_dir, "root"));
        var root = new BuildRoot(path);
        Assert.Equal(InitSystem.Systemd, CloudGuest.DetectInitSystem(path, out var why));
        Assert.Contains("/usr/lib/systemd/systemd", why);

        CloudGuest.Initialize(root, new GuestOptions(), Ctx);

        const string lib = "/usr/lib/systemd/system/";
        const string etc = "/etc/systemd/system/";
        Assert.Equal(lib + "serial-getty@.service", Link(path, etc + "getty.target.wants/serial-getty@ttyS0.service"));
        // hvc0 is systemd's getty generator's job under Xen: an enabled serial-getty@hvc0 would wait for a device KVM never has.
        Assert.False(File.Exists(P(path, etc + "getty.target.wants/serial-getty@hvc0.service")));
        Assert.Null(new FileInfo(P(path, etc + "getty.target.wants/serial-getty@hvc0.service")).LinkTarget);
        Assert.False(File.Exists(P(path, "/usr/libexec/gentooimage/console-getty")), "systemd needs no getty wrapper");
        Assert.Equal(lib + "sshd.service", Link(path, etc + "multi-user.target.wants/sshd.service"));
        Assert.Equal(lib + "systemd-networkd.service", Link(path, etc + "multi-user.target.wants/systemd-networkd.service"));
        Assert.Equal(lib + "systemd-networkd.service", Link(path, etc + "dbus-org.freedesktop.network1.service"));
        Assert.Equal(lib + "systemd-networkd.socket", Link(path, etc + "sockets.target.wants/systemd-networkd.socket"));
        Assert.Equal(lib + "systemd-resolved.service", Link(path, etc + "multi-user.target.wants/systemd-resolved.service"));
        Assert.Equal("# Written by GentooImage (Initialize-CloudGuest): DHCP on every wired interface.\n[Match]\nType=ether\nName=en* eth*\n\n[Network]\nDHCP=yes\n",
            Text(path, "/etc/systemd/network/50-gentooimage-dhcp.network"));
        foreach (var u in new[] { "cloud-init-main.service", "cloud-init-local.service", "cloud-init-network.service", "cloud-config.service", "cloud-final.service" })
        {
            Assert.Equal(lib + u, Link(path, etc + "cloud-init.target.wants/" + u));
        }

        Assert.EndsWith("\nssh_genkeytypes: [rsa, ecdsa, ed25519]\n", Text(path, "/etc/cloud/cloud.cfg.d/94_gentooimage_hostkeys.cfg"));

        Assert.Equal(lib + "cloud-init.target", Link(path, etc + "multi-user.target.wants/cloud-init.target"));
        var unit = Text(path, etc + "gentooimage-growroot.service");
        Assert.Contains("ConditionPathExists=!/var/lib/gentooimage/growroot.done", unit);
        Assert.Contains("Type=oneshot", unit);
        Assert.Equal(etc + "gentooimage-growroot.service", Link(path, etc + "multi-user.target.wants/gentooimage-growroot.service"));
        AssertSyntaxOk(P(path, "/usr/libexec/gentooimage/growroot"));

        Assert.Equal(string.Empty, Text(path, "/etc/machine-id"));
        Assert.Empty(Directory.GetFiles(P(path, "/etc/ssh"), "ssh_host_*"));
        Assert.False(File.Exists(P(path, "/etc/conf.d/hostname")));
        Assert.False(Directory.Exists(P(path, "/etc/runlevels")));
        Assert.DoesNotContain("\ns0:", Text(path, "/etc/inittab"));
        Assert.Equal("Systemd", root.History[^1].Data["InitSystem"]);
        Assert.Empty(CloudGuest.Plan(root, new GuestOptions(), Ctx).Changes);
    }

    [Fact]
    public void SystemdRootPrefersDhcpcdWhenInstalled()
    {
        var path = FixtureGuestRoots.CreateSystemd(Path.Combine(_dir, "root"), withDhcpcd: true, withCloudInit: false);
        CloudGuest.Initialize(new BuildRoot(path), new GuestOptions(), Ctx);
        Assert.Equal("/usr/lib/systemd/system/dhcpcd.service", Link(path, "/etc/systemd/system/multi-user.target.wants/dhcpcd.service"));
        Assert.False(File.Exists(P(path, "/etc/systemd/network/50-gentooimage-dhcp.network")));
        Assert.False(Directory.Exists(P(path, "/etc/cloud")));
    }

    [Fact]
    public void BusyboxInitRootGetsInittabDrivenGettyGrowthAndDhcp()
    {
        var path = FixtureGuestRoots.CreateBusybox(Path.Combine(_dir, "root"));
        var root = new BuildRoot(path);
        Assert.Equal(InitSystem.BusyboxInit, CloudGuest.DetectInitSystem(path, out _));

        CloudGuest.Initialize(root, new GuestOptions { RootPassword = RootPasswordMode.Empty }, Ctx);

        var lines = Text(path, "/etc/inittab").Split('\n');
        Assert.Equal(new[]
        {
            "::sysinit:/bin/mount -t proc proc /proc",
            "::sysinit:/bin/mount -o remount,rw /",
            "::sysinit:/bin/sh /usr/libexec/gentooimage/growroot",
            "::sysinit:/bin/sh /usr/libexec/gentooimage/netup",
            "::sysinit:/bin/hostname -F /etc/hostname",
            "# SERIAL CONSOLES",
            "#s0:12345:respawn:/sbin/agetty -L 115200 ttyS0 vt100",
            "::ctrlaltdel:/sbin/reboot",
            "::respawn:/usr/libexec/gentooimage/console-getty ttyS0 /bin/getty -L 115200 ttyS0 vt100",
            "::respawn:/usr/libexec/gentooimage/console-getty hvc0 /bin/getty -L 115200 hvc0 vt100",
            string.Empty,
        }, lines);
        AssertSyntaxOk(P(path, "/usr/libexec/gentooimage/console-getty"));
        AssertSyntaxOk(P(path, "/usr/libexec/gentooimage/growroot"));
        AssertSyntaxOk(P(path, "/usr/libexec/gentooimage/netup"));
        AssertSyntaxOk(P(path, "/usr/libexec/gentooimage/udhcpc.script"));
        Assert.StartsWith("root::", Text(path, "/etc/shadow"));
        Assert.Contains(_warnings, w => w.Contains("cloud-init") == false && w.Contains("RootPassword Empty"));
        Assert.Empty(root.KernelArguments);

        // The getty it names exists in the root, and the DHCP script is runnable with the root's busybox.
        Assert.True(File.Exists(P(path, "/bin/getty")));
        Assert.Equal("ok", FixtureRoot.Run("chroot", path, "/bin/sh", "-n", "/usr/libexec/gentooimage/netup").Trim() + "ok");
    }

    [Fact]
    public void PlanTouchesNothingAndSkipLeavesPartsAlone()
    {
        var path = FixtureGuestRoots.CreateOpenRc(Path.Combine(_dir, "root"));
        var root = new BuildRoot(path);
        var before = Text(path, "/etc/inittab");

        var plan = CloudGuest.Plan(root, new GuestOptions(), Ctx);
        Assert.NotEmpty(plan.Changes);
        Assert.Equal(InitSystem.OpenRC, plan.InitSystem);
        Assert.True(plan.InitSystemDetected);
        Assert.Equal(before, Text(path, "/etc/inittab"));
        Assert.NotEmpty(Directory.GetFiles(P(path, "/etc/ssh"), "ssh_host_*"));
        Assert.False(File.Exists(BuildRootStore.StatePathFor(path)));
        Assert.Single(plan.Changes, c => c.Path == "/etc/inittab");

        var only = new GuestOptions { Skip = Enum.GetValues<GuestPart>().Where(p => p != GuestPart.Hostname).ToHashSet() };
        var hostOnly = CloudGuest.Plan(root, only, Ctx);
        Assert.All(hostOnly.Changes, c => Assert.Equal(GuestPart.Hostname, c.Part));
        Assert.Equal(new[] { "/etc/hostname", "/etc/hosts", "/etc/conf.d/hostname" }, hostOnly.Changes.Select(c => c.Path));

        // Apply a subset (what -Confirm answers produce): only those happen.
        var ssh = plan.Changes.Where(c => c.Part == GuestPart.Ssh).ToList();
        CloudGuest.Apply(root, plan, ssh, Ctx);
        Assert.Empty(Directory.GetFiles(P(path, "/etc/ssh"), "ssh_host_*"));
        Assert.Equal(before, Text(path, "/etc/inittab"));
        Assert.Equal(ssh.Count.ToString(), root.History[^1].Data["ChangeCount"]);
    }

    [Fact]
    public void InitSystemCanBeForcedAndUnknownRootsAreRefused()
    {
        var path = FixtureGuestRoots.CreateBusybox(Path.Combine(_dir, "root"));
        var plan = CloudGuest.Plan(new BuildRoot(path), new GuestOptions { InitSystem = InitSystem.OpenRC }, Ctx);
        Assert.Equal(InitSystem.OpenRC, plan.InitSystem);
        Assert.False(plan.InitSystemDetected);
        Assert.Contains(plan.Changes, c => c.Path == "/etc/local.d/gentooimage-growroot.start");

        var bare = Path.Combine(_dir, "bare");
        Directory.CreateDirectory(Path.Combine(bare, "etc"));
        var ex = Assert.Throws<GentooImageException>(() => CloudGuest.Plan(new BuildRoot(bare), new GuestOptions(), Ctx));
        Assert.Equal(ErrorKind.GuestConfigFailed, ex.Kind);
        Assert.Contains("-InitSystem", ex.Message);

        var noEtc = Path.Combine(_dir, "empty");
        Directory.CreateDirectory(noEtc);
        Assert.Equal(ErrorKind.GuestConfigFailed, Assert.Throws<GentooImageException>(() => CloudGuest.Plan(new BuildRoot(noEtc), new GuestOptions(), Ctx)).Kind);
    }

    [Theory]
    [InlineData("bad_host", "UTC")]
    [InlineData("-gentoo", "UTC")]
    [InlineData("gentoo", "../../etc/passwd")]
    [InlineData("gentoo", "Europe/../../x")]
    public void RejectsBadHostnamesAndTimezones(string host, string tz)
    {
        var path = FixtureGuestRoots.CreateBusybox(Path.Combine(_dir, "root"));
        var ex = Assert.Throws<GentooImageException>(() => CloudGuest.Plan(new BuildRoot(path), new GuestOptions { Hostname = host, Timezone = tz }, Ctx));
        Assert.Equal(ErrorKind.InvalidArgument, ex.Kind);
    }

    [Fact]
    public void AbsoluteLinksInTheRootNeverReachTheHost()
    {
        var path = FixtureGuestRoots.CreateBusybox(Path.Combine(_dir, "root"));
        var outside = Path.Combine(_dir, "host-file");
        File.WriteAllText(outside, "host\n");
        // A root whose /etc/hostname points (absolutely) at a host path, and whose /etc/conf.d is an absolute link.
        File.Delete(P(path, "/etc/hostname"));
        File.CreateSymbolicLink(P(path, "/etc/hostname"), outside);
        CloudGuest.Initialize(new BuildRoot(path), new GuestOptions { InitSystem = InitSystem.OpenRC }, Ctx);
        Assert.Equal("host\n", File.ReadAllText(outside));
        Assert.Equal("gentoo\n", Text(path, "/etc/hostname"));
        Assert.Null(new FileInfo(P(path, "/etc/hostname")).LinkTarget);
    }

    [Fact]
    public void SystemdInstallSectionIsParsed()
    {
        var i = SystemdInstall.Parse("[Unit]\nWantedBy=nope.target\n[Install]\nWantedBy=a.target b.target\nAlias=x.service\n# c\nAlso=y.socket\nRequiredBy=r.target\n[X-Other]\nWantedBy=no.target\n");
        Assert.Equal(new[] { "a.target", "b.target" }, i.WantedBy);
        Assert.Equal(new[] { "x.service" }, i.Alias);
        Assert.Equal(new[] { "y.socket" }, i.Also);
        Assert.Equal(new[] { "r.target" }, i.RequiredBy);
    }
}
