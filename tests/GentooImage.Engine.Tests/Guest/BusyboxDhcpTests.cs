using System.Diagnostics;
using GentooImage.Engine.Guest;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;
using GentooImage.TestSupport;

namespace GentooImage.Engine.Tests;

/// <summary>
/// The busybox-init DHCP fallback for real: a busybox udhcpd in one network namespace, and in
/// another, chrooted into a fixture root after Initialize-CloudGuest, busybox udhcpc with the lease
/// script the module installed. Only namespaces and a veth pair of the test's own are touched; they
/// are deleted in finally.
/// </summary>
public sealed class BusyboxDhcpTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gi-dhcp-").FullName;
    private readonly string _id = Guid.NewGuid().ToString("N")[..6];

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public async Task LeaseScriptConfiguresAddressRouteAndResolver()
    {
        var root = FixtureGuestRoots.CreateBusybox(Path.Combine(_dir, "root"));
        CloudGuest.Initialize(new BuildRoot(root), new GuestOptions { Skip = new HashSet<GuestPart> { GuestPart.Hygiene } }, OperationContext.None);

        string server = $"gi-s{_id}", client = $"gi-c{_id}", sIf = $"gis{_id}", cIf = $"gic{_id}";
        var conf = Path.Combine(_dir, "udhcpd.conf");
        await File.WriteAllTextAsync(conf,
            $"start 10.213.0.100\nend 10.213.0.110\ninterface {sIf}\nlease_file {_dir}/leases\npidfile {_dir}/udhcpd.pid\n" +
            "option subnet 255.255.255.0\noption router 10.213.0.1\noption dns 10.213.0.53\noption domain gi.test\n");
        await File.WriteAllTextAsync(Path.Combine(_dir, "leases"), string.Empty);
        Process? udhcpd = null;
        var made = new List<string>();
        try
        {
            foreach (var ns in new[] { server, client })
            {
                FixtureRoot.Run("ip", "netns", "add", ns);
                made.Add(ns);
            }

            FixtureRoot.Run("ip", "link", "add", sIf, "netns", server, "type", "veth", "peer", "name", cIf, "netns", client);
            FixtureRoot.Run("ip", "-n", server, "addr", "add", "10.213.0.1/24", "dev", sIf);
            FixtureRoot.Run("ip", "-n", server, "link", "set", sIf, "up");
            FixtureRoot.Run("ip", "-n", client, "link", "set", cIf, "up");
            udhcpd = Process.Start(new ProcessStartInfo("ip", new[] { "netns", "exec", server, "busybox", "udhcpd", "-f", conf })
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            })!;

            var r = await ProcessRunner.Instance.RunAsync(new ProcessSpec("ip", "netns", "exec", client, "chroot", root,
                "/bin/udhcpc", "-q", "-n", "-t", "10", "-T", "1", "-i", cIf, "-s", GuestPlanner.UdhcpcScript)
            { Timeout = TimeSpan.FromSeconds(60) });
            Assert.True(r.Succeeded, r.StandardOutput + r.StandardError);

            var addr = FixtureRoot.Run("ip", "-n", client, "-4", "addr", "show", "dev", cIf);
            Assert.Matches(@"inet 10\.213\.0\.1(0\d|10)/24", addr);
            Assert.Contains("default via 10.213.0.1", FixtureRoot.Run("ip", "-n", client, "route"));
            var resolv = await File.ReadAllTextAsync(Path.Combine(root, "etc/resolv.conf"));
            Assert.Contains("nameserver 10.213.0.53", resolv);
            Assert.Contains("search gi.test", resolv);
        }
        finally
        {
            if (udhcpd is not null)
            {
                try
                {
                    udhcpd.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // Already gone.
                }

                udhcpd.WaitForExit();
                udhcpd.Dispose();
            }

            foreach (var ns in made)
            {
                FixtureRoot.Run("ip", "netns", "del", ns);
            }
        }
    }
}
