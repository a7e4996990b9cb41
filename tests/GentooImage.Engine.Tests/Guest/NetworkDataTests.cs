using GentooImage.Engine.Guest;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;
using GentooImage.TestSupport;

namespace GentooImage.Engine.Tests;

/// <summary>
/// Static networks from OpenStack's network_data.json on OpenRC guests (cloud-init has no renderer
/// there): the boot service Initialize-CloudGuest installs, and the script it runs, executed by the
/// real python3 against a root directory, a fake /sys/class/net and a Nova-style network_data.json.
/// </summary>
public sealed class NetworkDataTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gi-netdata-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string P(string root, string rel) => Path.Combine(root, rel.TrimStart('/'));

    [Fact]
    public void OpenRcRootWithPythonGetsTheBootService()
    {
        var path = FixtureGuestRoots.CreateOpenRc(Path.Combine(_dir, "root"));
        File.WriteAllText(P(path, "/usr/bin/python3"), "#!/bin/sh\n");
        CloudGuest.Initialize(new BuildRoot(path), new GuestOptions(), OperationContext.None);

        var service = File.ReadAllText(P(path, "/etc/init.d/gentooimage-netdata"));
        Assert.StartsWith("#!/sbin/openrc-run\n", service);
        Assert.Contains("before net dhcpcd", service);
        Assert.Contains("/usr/bin/python3 /usr/libexec/gentooimage/netdata", service);
        Assert.Equal("/etc/init.d/gentooimage-netdata", new FileInfo(P(path, "/etc/runlevels/boot/gentooimage-netdata")).LinkTarget);
        Assert.StartsWith("#!/usr/bin/python3", File.ReadAllText(P(path, "/usr/libexec/gentooimage/netdata")));

        // Without python3 (no cloud-init either), DHCP only: nothing installed.
        var bare = FixtureGuestRoots.CreateOpenRc(Path.Combine(_dir, "bare"), withCloudInit: false);
        CloudGuest.Initialize(new BuildRoot(bare), new GuestOptions(), OperationContext.None);
        Assert.False(File.Exists(P(bare, "/etc/init.d/gentooimage-netdata")));
    }

    private (string Root, string Json) Setup(bool dhcpcd)
    {
        var root = Path.Combine(_dir, dhcpcd ? "dhcpcd" : "netifrc");
        Directory.CreateDirectory(P(root, "/etc/init.d"));
        Directory.CreateDirectory(P(root, "/etc/conf.d"));
        if (dhcpcd)
        {
            File.WriteAllText(P(root, "/etc/init.d/dhcpcd"), "#!/sbin/openrc-run\n");
            File.WriteAllText(P(root, "/etc/dhcpcd.conf"), "# the distribution's dhcpcd.conf\nhostname\noption rapid_commit\n");
        }
        else
        {
            File.WriteAllText(P(root, "/etc/conf.d/net"), "config_eth0=\"dhcp\"\n");
        }

        var sys = Path.Combine(_dir, "sys-class-net");
        foreach (var (name, mac) in new[] { ("lo", "00:00:00:00:00:00"), ("eth0", FixtureConfigDrive.Mac.ToUpperInvariant()), ("eth1", "52:54:00:aa:bb:cc") })
        {
            Directory.CreateDirectory(Path.Combine(sys, name));
            File.WriteAllText(Path.Combine(sys, name, "address"), mac.ToLowerInvariant() + "\n");
        }

        var json = Path.Combine(_dir, (dhcpcd ? "d" : "n") + "-network_data.json");
        File.WriteAllText(json, FixtureConfigDrive.StaticNetwork("10.0.2.50", "255.255.255.0", "10.0.2.2", "10.0.2.3").ToJsonString());
        return (root, json);
    }

    private void RunScript(string root, string json)
    {
        var script = Path.Combine(_dir, "netdata");
        File.WriteAllText(script, GuestRootFs.Script("netdata.py"));
        var r = ProcessRunner.Instance.RunAsync(new ProcessSpec("/usr/bin/python3", script)
        {
            Environment = new Dictionary<string, string?>
            {
                ["GI_ROOT"] = root,
                ["GI_NETDATA_JSON"] = json,
                ["GI_SYS_NET"] = Path.Combine(_dir, "sys-class-net"),
            },
        }).GetAwaiter().GetResult();
        Assert.True(r.Succeeded, r.StandardOutput + r.StandardError);
    }

    [Fact]
    public void StaticIpv4BecomesDhcpcdStaticConfigurationAndGoesAwayWithDhcp()
    {
        var (root, json) = Setup(dhcpcd: true);
        RunScript(root, json);
        RunScript(root, json);
        Assert.Equal(
            "# the distribution's dhcpcd.conf\nhostname\noption rapid_commit\n" +
            "# BEGIN GentooImage network_data.json (rewritten at boot; edits between these lines are lost)\n" +
            "interface eth0\nstatic ip_address=10.0.2.50/24\nstatic routers=10.0.2.2\nstatic domain_name_servers=10.0.2.3\n" +
            "# END GentooImage network_data.json\n",
            File.ReadAllText(P(root, "/etc/dhcpcd.conf")));

        File.WriteAllText(json, FixtureConfigDrive.DhcpNetwork().ToJsonString());
        RunScript(root, json);
        Assert.Equal("# the distribution's dhcpcd.conf\nhostname\noption rapid_commit\n", File.ReadAllText(P(root, "/etc/dhcpcd.conf")));
    }

    [Fact]
    public void StaticIpv4BecomesNetifrcConfigurationWithoutDhcpcd()
    {
        var (root, json) = Setup(dhcpcd: false);
        RunScript(root, json);
        Assert.Equal(
            "config_eth0=\"dhcp\"\n" +
            "# BEGIN GentooImage network_data.json (rewritten at boot; edits between these lines are lost)\n" +
            "config_eth0=\"10.0.2.50/24\"\nroutes_eth0=\"default via 10.0.2.2\"\ndns_servers_eth0=\"10.0.2.3\"\n" +
            "# END GentooImage network_data.json\n",
            File.ReadAllText(P(root, "/etc/conf.d/net")));
    }
}
