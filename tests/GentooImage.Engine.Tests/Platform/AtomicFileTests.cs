using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Tests.Platform;

/// <summary>The one atomic writer: whole files only, never through a symlink, nothing left on failure.</summary>
public sealed class AtomicFileTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "gi-atomic-" + Guid.NewGuid().ToString("N")[..8]);

    public AtomicFileTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ReplacesTheFileWholeAndLeavesNoTemporaryFile()
    {
        var path = Path.Combine(_dir, "state.json");
        File.WriteAllText(path, "old");
        AtomicFile.WriteText(path, "new ü");
        Assert.Equal("new ü", File.ReadAllText(path));
        Assert.Equal(new[] { "state.json" }, Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName));
        Assert.NotEqual(0xEF, File.ReadAllBytes(path)[0]); // no BOM
    }

    [Fact]
    public void ASymlinkAtTheTargetIsReplacedNeverWrittenThrough()
    {
        var victim = Path.Combine(_dir, "victim");
        File.WriteAllText(victim, "host file");
        var path = Path.Combine(_dir, "grub.cfg");
        File.CreateSymbolicLink(path, victim);
        AtomicFile.WriteText(path, "mine");
        Assert.Equal("host file", File.ReadAllText(victim));
        Assert.Null(new FileInfo(path).LinkTarget);
        Assert.Equal("mine", File.ReadAllText(path));
    }

    [Fact]
    public void AFailedWriteLeavesTheOldFileAndNoTemporaryFile()
    {
        var path = Path.Combine(_dir, "config");
        File.WriteAllText(path, "old");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.WriteByte(1);
            throw new InvalidOperationException("boom");
        }));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Single(Directory.GetFileSystemEntries(_dir));
    }

    [Fact]
    public void TheTemporaryNameCarriesTheOwnerTagSoASweepCanTellWhoseItIs()
    {
        var tmp = Path.GetFileName(AtomicFile.TempPathFor(Path.Combine(_dir, "gentoo.img.sha256")));
        Assert.Matches(@"^\.gentoo\.img\.sha256\.o[0-9]+_[0-9]+-[0-9a-f]{8}\.tmp$", tmp);
        Assert.True(OwnerTag.TryParse(tmp, out var pid, out _));
        Assert.Equal(Environment.ProcessId, pid);
    }

    [Fact]
    public void CommitMovesAFinishedTemporaryFileAndRespectsOverwrite()
    {
        var tmp = Path.Combine(_dir, ".image.tmp");
        var path = Path.Combine(_dir, "image");
        File.WriteAllText(tmp, "disk");
        File.WriteAllText(path, "existing");
        Assert.Throws<IOException>(() => AtomicFile.Commit(tmp, path, overwrite: false));
        Assert.Equal("existing", File.ReadAllText(path));
        AtomicFile.Commit(tmp, path);
        Assert.Equal("disk", File.ReadAllText(path));
        Assert.False(File.Exists(tmp));
    }
}
