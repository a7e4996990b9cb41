using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Tests;

public sealed class PathInRootTests : IDisposable
{
    private readonly string _root = PathInRoot.RealPath(Directory.CreateTempSubdirectory("gi-pir-").FullName);

    public void Dispose() => Directory.Delete(_root, true);

    [Fact]
    public void AbsoluteLinksRestartAtTheRootAndDotDotStopsThere()
    {
        Directory.CreateDirectory(Path.Combine(_root, "real/dir"));
        File.CreateSymbolicLink(Path.Combine(_root, "abs"), "/real");
        File.CreateSymbolicLink(Path.Combine(_root, "up"), "../../../..");
        File.CreateSymbolicLink(Path.Combine(_root, "rel"), "real/dir");
        Assert.Equal(_root + "/real/dir/x", PathInRoot.Resolve(_root, "/abs/dir/x"));
        Assert.Equal(_root, PathInRoot.Resolve(_root, "/up"));
        Assert.Equal(_root + "/real", PathInRoot.Resolve(_root, "/up/real"));
        Assert.Equal(_root + "/real/dir", PathInRoot.Resolve(_root, "/rel"));
        Assert.Equal(_root + "/real", PathInRoot.Resolve(_root, "/rel/.."));
        Assert.Equal(_root + "/missing/tail", PathInRoot.Resolve(_root, "missing/tail"));
    }

    [Fact]
    public void LoopsAreRefused()
    {
        File.CreateSymbolicLink(Path.Combine(_root, "a"), "b");
        File.CreateSymbolicLink(Path.Combine(_root, "b"), "a");
        Assert.Equal(ErrorKind.UnsafeMountPoint, Assert.Throws<GentooImageException>(() => PathInRoot.Resolve(_root, "/a")).Kind);
    }
}
