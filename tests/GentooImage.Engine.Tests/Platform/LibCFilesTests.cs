using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Tests.Platform;

/// <summary>The one struct stat decoding agrees with what .NET and the file system say.</summary>
public sealed class LibCFilesTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "gi-libcfiles-" + Guid.NewGuid().ToString("N")[..8]);

    public LibCFilesTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void StatReadsSizeModeLinksAndTimesOfAFile()
    {
        var file = Path.Combine(_dir, "f");
        File.WriteAllBytes(file, new byte[12345]);
        FileCalls.Chmod(file, 0x1A0); // 0640
        File.CreateSymbolicLink(Path.Combine(_dir, "l"), file);
        var when = new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(file, when);
        FileCallsLink(file, Path.Combine(_dir, "hard"));

        Assert.True(LibC.TryStat(file, follow: false, out var st));
        Assert.True(st.IsRegular);
        Assert.Equal(12345, st.Size);
        Assert.Equal(0x1A0u, st.Mode & 0xFFF);
        Assert.Equal(2UL, st.NLink);
        Assert.Equal(new DateTimeOffset(when).ToUnixTimeSeconds(), st.MTimeSec);
        Assert.Equal(FileIdentity.Of(file), (st.Dev, st.Ino));

        Assert.True(LibC.TryStat(Path.Combine(_dir, "l"), follow: false, out var link));
        Assert.True(link.IsSymlink);
        Assert.True(LibC.TryStat(_dir, follow: true, out var dir));
        Assert.True(dir.IsDirectory);
        Assert.False(LibC.TryStat(Path.Combine(_dir, "missing"), follow: false, out _));
    }

    private static void FileCallsLink(string from, string to) =>
        Assert.Equal(0, FileCalls.Link(from, to));
}
