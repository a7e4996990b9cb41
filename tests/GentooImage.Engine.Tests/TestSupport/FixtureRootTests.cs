using GentooImage.TestSupport;

namespace GentooImage.Engine.Tests;

public sealed class FixtureRootTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gi-fixture-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void FixtureHasWhatEveryStageReliesOn()
    {
        var root = FixtureRoot.Create(Path.Combine(_dir, "root"));
        Assert.True(File.Exists(Path.Combine(root, "etc/gentoo-release")));
        Assert.Equal("busybox", new FileInfo(Path.Combine(root, "bin/sh")).LinkTarget);
        Assert.Contains("cap_net_raw=ep", FixtureRoot.Run("getcap", Path.Combine(root, "usr/bin/fixture-ping")));
        Assert.Equal("-rwsr-xr-x", FixtureRoot.Run("stat", "-c", "%A", Path.Combine(root, "usr/bin/fixture-suid")).Trim());
        Assert.Equal("character special file 1 3", FixtureRoot.Run("stat", "-c", "%F %Hr %Lr", Path.Combine(root, "dev/null")).Trim());
        Assert.Equal("2", FixtureRoot.Run("stat", "-c", "%h", Path.Combine(root, "usr/bin/fixture-sgid")).Trim());
        Assert.Equal("hello", FixtureRoot.Run("chroot", root, "/bin/sh", "-c", "echo hello").Trim());
    }
}
