using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;
using GentooImage.TestSupport;

namespace GentooImage.Engine.Tests.Model;

/// <summary>The one way into a root: evidence, locks, state read without following symlinks.</summary>
public sealed class BuildRootGuardTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "gi-guard-" + Guid.NewGuid().ToString("N")[..8]);

    public BuildRootGuardTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void APlainDirectoryIsNotABuildRootAndNothingIsWritten()
    {
        var plain = Path.Combine(_dir, "plain");
        Directory.CreateDirectory(plain);
        File.WriteAllText(Path.Combine(plain, "notes.txt"), "mine");
        var ex = Assert.Throws<GentooImageException>(() => BuildRootGuard.Open(plain, BuildRootAccess.Change, "Test"));
        Assert.Equal(ErrorKind.NotABuildRoot, ex.Kind);
        Assert.Equal(new[] { "notes.txt" }, Directory.GetFileSystemEntries(plain).Select(Path.GetFileName));
    }

    [Fact]
    public void AStage3LayoutIsEvidenceAndTheStateFileIsToo()
    {
        var root = FixtureRoot.Create(Path.Combine(_dir, "root"));
        Assert.True(BuildRootGuard.IsBuildRoot(root));

        var bare = Path.Combine(_dir, "bare");
        Directory.CreateDirectory(bare);
        Assert.False(BuildRootGuard.IsBuildRoot(bare));
        BuildRootStore.Save(new BuildRoot(bare));
        Assert.True(BuildRootGuard.IsBuildRoot(bare));

        using var lease = BuildRootGuard.Open(bare, BuildRootAccess.Change, "Test");
        Assert.True(lease.IsLocked);
        Assert.Equal(bare, lease.Root!.Path);
        var ex = Assert.Throws<GentooImageException>(() => BuildRootGuard.Open(bare, BuildRootAccess.Change, "Other"));
        Assert.Equal(ErrorKind.BuildRootLocked, ex.Kind);

        // Reading needs no lock.
        using var read = BuildRootGuard.Open(bare, BuildRootAccess.Read, "Get-BuildRoot");
        Assert.False(read.IsLocked);
    }

    [Fact]
    public void AStateFileThatIsASymlinkIsNeverFollowed()
    {
        var root = Path.Combine(_dir, "root");
        var secret = Path.Combine(_dir, "secret");
        File.WriteAllText(secret, "{\"Path\":\"/S3CRET\"}");
        Directory.CreateDirectory(Path.Combine(root, "var/lib/gentooimage"));
        File.CreateSymbolicLink(Path.Combine(root, "var/lib/gentooimage/state.json"), secret);
        var ex = Assert.Throws<GentooImageException>(() => BuildRootStore.Load(root));
        Assert.Equal(ErrorKind.BuildRootStateInvalid, ex.Kind);
        Assert.DoesNotContain("S3CRET", ex.Message);
        Assert.Contains("symbolic link", ex.Message);
    }

    [Fact]
    public void DemandRefusesTheHostRootForEngineCallers()
    {
        var ex = Assert.Throws<GentooImageException>(() => BuildRootGuard.Demand(new BuildRoot("/")));
        Assert.Equal(ErrorKind.UnsafeRootPath, ex.Kind);
        Assert.Equal(ErrorKind.UnsafeRootPath, Assert.Throws<GentooImageException>(() => BuildRootGuard.Demand(new BuildRoot("/var/log"))).Kind);
    }
}
