using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Tests.Platform;

/// <summary>The path rules as pure logic: a path and a mount table in, a reason (or null) out.</summary>
public class HostPathPolicyTests
{
    private static readonly IReadOnlyList<MountEntry> Mounts = MountTable.Parse(
        "22 1 8:1 / / rw shared:1 - ext4 /dev/sda1 rw\n" +
        "23 22 0:5 / /dev rw shared:2 - devtmpfs udev rw\n" +
        "24 22 0:22 / /run rw shared:3 - tmpfs tmpfs rw\n" +
        "25 24 0:30 / /run/user/0 rw shared:4 - tmpfs tmpfs rw\n" +
        "26 22 8:17 / /var/lib/images rw shared:5 - ext4 /dev/sdb1 rw\n" +
        "27 22 8:1 /etc /var/lib/etcbind rw shared:1 - ext4 /dev/sda1 rw\n" +
        "28 22 0:40 / /usr/src/build rw - xfs /dev/sdc1 rw\n" +
        "29 22 0:41 / /var/lib/pseudo rw - proc proc rw\n");

    [Theory]
    [InlineData("/")]
    [InlineData("/etc")]
    [InlineData("/etc/ssh")]
    [InlineData("/usr")]
    [InlineData("/usr/local")]
    [InlineData("/var")]
    [InlineData("/var/log")]
    [InlineData("/var/lib")]
    [InlineData("/var/tmp")]
    [InlineData("/var/cache/x")]
    [InlineData("/sys")]
    [InlineData("/sys/fs/cgroup")]
    [InlineData("/proc")]
    [InlineData("/dev")]
    [InlineData("/dev/shm/x")]
    [InlineData("/run")]
    [InlineData("/run/user/0/x")]
    [InlineData("/boot")]
    [InlineData("/lib64")]
    [InlineData("/tmp")]
    [InlineData("/home")]
    [InlineData("/root")]
    [InlineData("/mnt")]
    [InlineData("/media")]
    [InlineData("/opt")]
    [InlineData("/srv")]
    [InlineData("/var/lib/etcbind/x")] // a bind of the root file system is not a data disk
    [InlineData("/var/lib/pseudo/x")]  // nor is a pseudo file system
    public void RefusesSystemPlacesAsBuildRoots(string path) =>
        Assert.NotNull(HostPathPolicy.WhyUnsafe(path, HostPathUse.BuildRoot, Mounts));

    [Theory]
    [InlineData("/mnt/gentoo")]
    [InlineData("/tmp/gi-x")]
    [InlineData("/home/me/gentoo")]
    [InlineData("/srv/build/root")]
    [InlineData("/var/tmp/gentoo")]
    [InlineData("/var/lib/images/gentoo")]  // below a data disk mounted in /var
    [InlineData("/var/lib/images")]
    [InlineData("/usr/src/build/root")]
    [InlineData("/data/gentoo")]
    public void AllowsDataPlacesAsBuildRoots(string path) =>
        Assert.Null(HostPathPolicy.WhyUnsafe(path, HostPathUse.BuildRoot, Mounts));

    [Theory]
    [InlineData("/var/cache/distfiles", true)]
    [InlineData("/var/cache", false)]
    [InlineData("/var/tmp/cache", true)]
    [InlineData("/", false)]
    [InlineData("/usr", false)]
    [InlineData("/etc/portage", false)]
    [InlineData("/root/.cache/gentooimage", true)]
    public void CacheDirectories(string path, bool allowed) =>
        Assert.Equal(allowed, HostPathPolicy.WhyUnsafe(path, HostPathUse.Cache, Mounts) is null);

    [Theory]
    [InlineData("/tmp", true)]
    [InlineData("/root", true)]
    [InlineData("/var/tmp", true)]
    [InlineData("/var/lib/libvirt/images", true)]
    [InlineData("/var/log", false)]
    [InlineData("/etc", false)]
    [InlineData("/dev", false)]
    [InlineData("/boot", false)]
    public void ImageDirectories(string dir, bool allowed) =>
        Assert.Equal(allowed, HostPathPolicy.WhyUnsafe(dir, HostPathUse.Image, Mounts) is null);

    [Theory]
    [InlineData("/var/log", true)]
    [InlineData("/var/log/gentooimage", true)]
    [InlineData("/tmp", true)]
    [InlineData("/etc", false)]
    [InlineData("/usr/bin", false)]
    public void LogDirectories(string dir, bool allowed) =>
        Assert.Equal(allowed, HostPathPolicy.WhyUnsafe(dir, HostPathUse.Log, Mounts) is null);

    [Theory]
    [InlineData("/usr/src/linux/.config", true)]
    [InlineData("/tmp/k/.config", true)]
    [InlineData("/etc/passwd", false)]
    [InlineData("/boot/config-6.1", false)]
    [InlineData("/proc/config.gz", false)]
    [InlineData("/usr/src/linux-6.1/.config", true)]
    [InlineData("/usr/local/src/linux/.config", true)]
    [InlineData("/var/tmp/k/.config", true)]
    [InlineData("/home/me/cfg/cloud.config", true)]
    [InlineData("/usr/sbin/.config", false)]   // /sbin/.config on a merged-/usr host, canonical
    [InlineData("/usr/bin/gi.config", false)]
    [InlineData("/usr/src", false)]
    [InlineData("/var/lib/gi.config", false)]
    [InlineData("/var/tmp", false)]
    public void KernelConfigPlaces(string path, bool allowed) =>
        Assert.Equal(allowed, HostPathPolicy.WhyUnsafe(path, HostPathUse.KernelConfig, Mounts) is null);

    [Theory]
    [InlineData("host\nname")]
    [InlineData("console=ttyS0\nmenuentry x {")]
    [InlineData("tab\there")]
    [InlineData("esc\u001b[0m")]
    public void RefusesControlCharacters(string value) =>
        Assert.Equal(ErrorKind.InvalidArgument, Assert.Throws<GentooImageException>(() => HostPathPolicy.CheckText(value, "X")).Kind);

    [Fact]
    public void MessagesNameThePathAndWhatToUseInstead()
    {
        var ex = Assert.Throws<GentooImageException>(() => HostPathPolicy.CheckBuildRoot("/etc", "Path"));
        Assert.Equal(ErrorKind.UnsafeRootPath, ex.Kind);
        Assert.Contains("'/etc'", ex.Message);
        Assert.Contains("/mnt/gentoo", ex.Message);
    }
}
