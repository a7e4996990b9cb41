using System.Diagnostics;
using GentooImage.Engine.Guest;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;
using GentooImage.TestSupport;

namespace GentooImage.Engine.Tests;

/// <summary>
/// The busybox-init DHCP fallback for real: a busybox udhcpd in one network namespace, and in
/// another, chrooted into a fixture root after Initialize-CloudGuest, busybox udhcpc with the lease
/// script the module installed. The two network namespaces are anonymous (<c>unshare --net</c>),
/// each held by a process of the test's own; killing the holders in finally destroys them and the
/// veth pair. Nothing is named under /run/netns, so no host state remains (iproute2's
/// <c>ip netns add</c> mounts /run/netns on a machine that never had it, and leaves it).
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
        var mountsBefore = HostMounts();
        Process? udhcpd = null;
        var holders = new List<Process>();
        try
        {
            foreach (var _ in new[] { server, client })
            {
                holders.Add(Process.Start(new ProcessStartInfo("unshare", new[] { "--net", "sleep", "infinity" }))!);
            }

            string sPid = NetnsPid(holders[0]), cPid = NetnsPid(holders[1]);
            FixtureRoot.Run("ip", "link", "add", sIf, "netns", sPid, "type", "veth", "peer", "name", cIf, "netns", cPid);
            FixtureRoot.Run("nsenter", "--net=/proc/" + sPid + "/ns/net", "ip", "addr", "add", "10.213.0.1/24", "dev", sIf);
            FixtureRoot.Run("nsenter", "--net=/proc/" + sPid + "/ns/net", "ip", "link", "set", sIf, "up");
            FixtureRoot.Run("nsenter", "--net=/proc/" + cPid + "/ns/net", "ip", "link", "set", cIf, "up");
            udhcpd = Process.Start(new ProcessStartInfo("nsenter", new[] { "--net=/proc/" + sPid + "/ns/net", "busybox", "udhcpd", "-f", conf })
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            })!;

            var r = await ProcessRunner.Instance.RunAsync(new ProcessSpec("nsenter", "--net=/proc/" + cPid + "/ns/net", "chroot", root,
                "/bin/udhcpc", "-q", "-n", "-t", "10", "-T", "1", "-i", cIf, "-s", NetworkPlanner.UdhcpcScript)
            { Timeout = TimeSpan.FromSeconds(60) });
            Assert.True(r.Succeeded, r.StandardOutput + r.StandardError);

            var addr = FixtureRoot.Run("nsenter", "--net=/proc/" + cPid + "/ns/net", "ip", "-4", "addr", "show", "dev", cIf);
            Assert.Matches(@"inet 10\.213\.0\.1(0\d|10)/24", addr);
            Assert.Contains("default via 10.213.0.1", FixtureRoot.Run("nsenter", "--net=/proc/" + cPid + "/ns/net", "ip", "route"));
            var resolv = await File.ReadAllTextAsync(Path.Combine(root, "etc/resolv.conf"));
            Assert.Contains("nameserver 10.213.0.53", resolv);
            Assert.Contains("search gi.test", resolv);
        }
        finally
        {
            foreach (var p in holders.Prepend(udhcpd).OfType<Process>())
            {
                try
                {
                    p.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // Already gone.
                }

                p.WaitForExit();
                p.Dispose();
            }
        }

        // The host keeps exactly the mounts it had (no /run/netns, no nsfs bind).
        Assert.Equal(mountsBefore, HostMounts());
    }

    private static string NetnsPid(Process holder)
    {
        // unshare execs sleep in the new namespace (no --fork): wait until the exec happened.
        var self = File.ResolveLinkTarget("/proc/self/ns/net", false)?.ToString();
        for (var i = 0; i < 100; i++)
        {
            var ns = File.ResolveLinkTarget($"/proc/{holder.Id}/ns/net", false)?.ToString();
            var comm = File.ReadAllText($"/proc/{holder.Id}/comm").Trim();
            if (ns is not null && ns != self && comm == "sleep")
            {
                return holder.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            Thread.Sleep(20);
        }

        throw new InvalidOperationException("unshare --net did not start its holder process.");
    }

    // Without the build roots other tests mount and unmount meanwhile (all below /gi-* directories).
    private static List<string> HostMounts() =>
        File.ReadAllLines("/proc/self/mountinfo").Select(l => string.Join(' ', l.Split(' ').Skip(3).Take(2)))
            .Where(m => !m.Contains("/gi-", StringComparison.Ordinal)).ToList();
}
