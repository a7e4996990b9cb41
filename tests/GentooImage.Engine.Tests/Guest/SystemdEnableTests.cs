using GentooImage.Engine.Guest;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;
using GentooImage.TestSupport;

namespace GentooImage.Engine.Tests;

/// <summary>
/// Initialize-CloudGuest enables systemd units the way <c>systemctl enable</c> does: checked against
/// the host's real <c>systemctl --root=&lt;copy&gt; enable</c> on a copy of the same root, and on a
/// Debian-style root whose OpenSSH unit is ssh.service with Alias=sshd.service (alias link present).
/// </summary>
public sealed class SystemdEnableTests : IDisposable
{
    private static readonly HashSet<GuestPart> s_unitPartsOnly = new()
    {
        GuestPart.GrowRoot, GuestPart.RootPassword, GuestPart.Hostname, GuestPart.Timezone, GuestPart.Hygiene,
    };

    private readonly string _dir = Directory.CreateTempSubdirectory("gi-sdenable-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>Debian's openssh-server layout: ssh.service with Alias=sshd.service, enabled by its postinst.</summary>
    private static string DebianStyleRoot(string dir)
    {
        var path = FixtureGuestRoots.CreateSystemd(dir);
        File.Delete(Path.Combine(path, "usr/lib/systemd/system/sshd.service"));
        File.WriteAllText(Path.Combine(path, "usr/lib/systemd/system/ssh.service"),
            "[Unit]\nDescription=OpenBSD Secure Shell server\n\n[Service]\nExecStart=/usr/sbin/sshd -D\n\n[Install]\nWantedBy=multi-user.target\nAlias=sshd.service\n");
        File.CreateSymbolicLink(Path.Combine(path, "etc/systemd/system/sshd.service"), "/lib/systemd/system/ssh.service");
        return path;
    }

    private static SortedDictionary<string, string> Links(string root)
    {
        var fs = new GuestRootFs(root);
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var etc = Path.Combine(root, "etc/systemd/system");
        foreach (var file in Directory.EnumerateFileSystemEntries(etc, "*", SearchOption.AllDirectories))
        {
            var info = new FileInfo(file);
            if (info.LinkTarget is null)
            {
                continue;
            }

            var inRoot = file[root.Length..];

            // Resolved inside the root: the same file whether a link says /lib/... or /usr/lib/... on a merged root.
            result[inRoot] = fs.ResolveInRoot(inRoot);
        }

        return result;
    }

    [Fact]
    public void DebianAliasIsFollowedNotReplaced()
    {
        var path = DebianStyleRoot(Path.Combine(_dir, "root"));
        CloudGuest.Initialize(new BuildRoot(path), new GuestOptions(), OperationContext.None);

        Assert.Equal("/lib/systemd/system/ssh.service", new FileInfo(Path.Combine(path, "etc/systemd/system/sshd.service")).LinkTarget);
        Assert.Equal("/usr/lib/systemd/system/ssh.service",
            new FileInfo(Path.Combine(path, "etc/systemd/system/multi-user.target.wants/ssh.service")).LinkTarget);
        Assert.False(File.Exists(Path.Combine(path, "etc/systemd/system/multi-user.target.wants/sshd.service")));
        Assert.All(Links(path), kv => Assert.True(File.Exists(Path.Combine(path, kv.Value.TrimStart('/'))), $"{kv.Key} does not resolve to a file"));
        Assert.Empty(CloudGuest.Plan(new BuildRoot(path), new GuestOptions(), OperationContext.None).Changes);
    }

    [Fact]
    public void TheLinksAreExactlyThoseOfSystemctlEnable()
    {
        var ours = DebianStyleRoot(Path.Combine(_dir, "ours"));
        var theirs = Path.Combine(_dir, "theirs");
        FixtureRoot.Run("cp", "-a", ours, theirs);

        CloudGuest.Initialize(new BuildRoot(ours), new GuestOptions { Skip = s_unitPartsOnly }, OperationContext.None);
        FixtureRoot.Run("systemctl", "--root=" + theirs, "enable",
            "serial-getty@ttyS0.service", "ssh.service", "systemd-networkd.service", "systemd-resolved.service",
            "cloud-init-main.service", "cloud-init-local.service", "cloud-init-network.service", "cloud-config.service", "cloud-final.service",
            "cloud-init.target");

        var expected = Links(theirs);
        var actual = Links(ours);
        Assert.Equal(expected.Keys, actual.Keys);
        Assert.Equal(expected, actual);
    }
}
