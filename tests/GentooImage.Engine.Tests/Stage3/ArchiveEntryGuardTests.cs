using System.Formats.Tar;
using GentooImage.Engine.Platform;
using GentooImage.Engine.Stage3;

namespace GentooImage.Engine.Tests;

public class ArchiveEntryGuardTests
{
    private static PaxTarEntry Entry(TarEntryType type, string name, string? link = null)
    {
        var e = new PaxTarEntry(type, name);
        if (link is not null)
        {
            e.LinkName = link;
        }

        return e;
    }

    [Fact]
    public void AHardLinkToASymlinkIsASymlinkToo()
    {
        var guard = new ArchiveEntryGuard();
        guard.Check(Entry(TarEntryType.SymbolicLink, "a", "/etc"));
        guard.Check(Entry(TarEntryType.HardLink, "b", "a"));
        var ex = Assert.Throws<GentooImageException>(() => guard.Check(Entry(TarEntryType.RegularFile, "b/sentinel")));
        Assert.Equal(ErrorKind.UnsafeArchiveEntry, ex.Kind);
        Assert.Equal("b/sentinel", ex.Target);
    }

    [Theory]
    [InlineData("size")]
    [InlineData("path")]
    [InlineData("linkpath")]
    [InlineData("GNU.sparse.map")]
    public void GlobalHeadersMaySetOnlyMetadata(string key)
    {
        var guard = new ArchiveEntryGuard();
        guard.Check(new PaxGlobalExtendedAttributesTarEntry(new Dictionary<string, string> { ["mtime"] = "1", ["uname"] = "root" }));
        var ex = Assert.Throws<GentooImageException>(() =>
            guard.Check(new PaxGlobalExtendedAttributesTarEntry(new Dictionary<string, string> { [key] = "0" })));
        Assert.Equal(ErrorKind.UnsafeArchiveEntry, ex.Kind);
        Assert.Contains(key, ex.Message);
    }
}
