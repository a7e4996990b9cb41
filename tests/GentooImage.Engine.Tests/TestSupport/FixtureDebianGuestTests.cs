using GentooImage.TestSupport;

namespace GentooImage.Engine.Tests;

/// <summary>
/// The files the OpenRC guest fixture writes (its Gentoo layout), checked without building the root:
/// every service is an openrc-run script that sh parses, every runlevel link names a service the
/// fixture writes or one OpenRC itself ships, and the runlevels are Gentoo's.
/// </summary>
public sealed class FixtureDebianGuestTests : IDisposable
{
    private static readonly string[] OpenRcOwnServices = { "cgroups", "savecache", "agetty" };

    private readonly string _dir = Directory.CreateTempSubdirectory("gi-guestfiles-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static List<(string Path, string Content, string Mode)> Files() => FixtureDebianGuest.GentooFiles("openrc").ToList();

    [Fact]
    public void EveryServiceIsAnOpenRcScriptThatShParses()
    {
        var scripts = Files().Where(f => f.Path.StartsWith("/etc/init.d/", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(scripts);
        foreach (var (path, content, mode) in scripts)
        {
            Assert.StartsWith("#!/sbin/openrc-run\n", content, StringComparison.Ordinal);
            Assert.Contains("depend()", content, StringComparison.Ordinal);
            Assert.Equal("755", mode);
            var file = Path.Combine(_dir, Path.GetFileName(path));
            File.WriteAllText(file, content);
            FixtureRoot.Run("sh", "-n", file);
        }
    }

    [Fact]
    public void RunlevelsAreGentoosAndEveryLinkNamesAWrittenOrOpenRcService()
    {
        var files = Files();
        var services = files.Where(f => f.Path.StartsWith("/etc/init.d/", StringComparison.Ordinal)).Select(f => Path.GetFileName(f.Path)).ToHashSet();
        var links = files.Where(f => f.Path.StartsWith("/etc/runlevels/", StringComparison.Ordinal)).ToList();
        foreach (var (path, content, _) in links)
        {
            var name = Path.GetFileName(path);
            Assert.Equal($"SYMLINK /etc/init.d/{name}", content);
            Assert.True(services.Contains(name) || OpenRcOwnServices.Contains(name), $"{path} names no service the fixture writes or OpenRC ships");
        }

        string[] Level(string level) => links.Where(l => l.Path.StartsWith($"/etc/runlevels/{level}/", StringComparison.Ordinal))
            .Select(l => Path.GetFileName(l.Path)).OrderBy(n => n, StringComparer.Ordinal).ToArray();
        Assert.Equal(new[] { "cgroups", "devfs", "sysfs", "udev", "udev-trigger" }, Level("sysinit"));
        Assert.Equal(new[] { "bootmisc", "fsck", "hostname", "hwclock", "localmount", "loopback", "root", "seedrng", "sysctl" }, Level("boot"));
        Assert.Equal(new[] { "local" }, Level("default"));
        Assert.Equal(new[] { "killprocs", "mount-ro", "savecache" }, Level("shutdown"));
        Assert.DoesNotContain(links, l => l.Path.Contains("/off/", StringComparison.Ordinal) || l.Path.Contains("/recovery/", StringComparison.Ordinal));
    }

    [Fact]
    public void DevfsMountsDevptsWithTheTtyGroupAndMakesTheStandardLinks()
    {
        var devfs = Files().Single(f => f.Path == "/etc/init.d/devfs").Content;
        Assert.Contains("mount -n -t devpts -o gid=5,mode=0620", devfs, StringComparison.Ordinal);
        foreach (var link in new[] { "/dev/fd", "/dev/stdin", "/dev/stdout", "/dev/stderr" })
        {
            Assert.Contains($"[ -e {link} ] || ln -s ", devfs, StringComparison.Ordinal);
        }

        Assert.Contains("provide dev\n", Files().Single(f => f.Path == "/etc/init.d/udev").Content, StringComparison.Ordinal);
    }

    [Fact]
    public void KeysDifferByFlavorAndAreShortHex()
    {
        Assert.NotEqual(FixtureDebianGuest.KeyOf("openrc"), FixtureDebianGuest.KeyOf("systemd"));
        Assert.Matches("^[0-9a-f]{16}$", FixtureDebianGuest.KeyOf("openrc"));
    }
}
