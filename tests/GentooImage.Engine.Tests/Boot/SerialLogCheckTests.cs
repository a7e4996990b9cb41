using GentooImage.Engine.Boot;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Tests.Boot;

/// <summary>Test-RawDiskImage -SerialLogPath: checked before anything happens, like every file the module writes.</summary>
public sealed class SerialLogCheckTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gi-serial-check-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void TheImageUnderTestASystemFileAndADeviceAreRefused()
    {
        var image = Path.Combine(_dir, "gentoo.img");
        File.WriteAllBytes(image, new byte[4096]);
        var ex = Assert.Throws<GentooImageException>(() => ImageTester.CheckSerialLog(image, image));
        Assert.Equal(ErrorKind.UnsafeOutputPath, ex.Kind);
        Assert.Contains("image under test", ex.Message);

        // The same file through a symlink is still the image.
        var alias = Path.Combine(_dir, "alias.log");
        File.CreateSymbolicLink(alias, image);
        Assert.Equal(ErrorKind.UnsafeOutputPath, Assert.Throws<GentooImageException>(() => ImageTester.CheckSerialLog(alias, image)).Kind);

        Assert.Equal(ErrorKind.UnsafeOutputPath, Assert.Throws<GentooImageException>(() => ImageTester.CheckSerialLog("/etc/passwd", image)).Kind);
        Assert.Equal(ErrorKind.UnsafeOutputPath, Assert.Throws<GentooImageException>(() => ImageTester.CheckSerialLog("/etc/gi-serial.log", image)).Kind);
        Assert.Equal(ErrorKind.UnsafeOutputPath, Assert.Throws<GentooImageException>(() => ImageTester.CheckSerialLog("/dev/null", image)).Kind);
        Assert.Equal(ErrorKind.UnsafeOutputPath, Assert.Throws<GentooImageException>(() => ImageTester.CheckSerialLog(_dir, image)).Kind);
        Assert.Equal(new byte[4096], File.ReadAllBytes(image));
    }

    [Fact]
    public void ANewFileOrAnEarlierSerialLogIsAccepted()
    {
        var image = Path.Combine(_dir, "gentoo.img");
        File.WriteAllBytes(image, new byte[4096]);
        var earlier = Path.Combine(_dir, "serial.log");
        File.WriteAllText(earlier, "an earlier boot\n");
        Assert.Equal(earlier, ImageTester.CheckSerialLog(earlier, image));
        Assert.Equal(Path.Combine(_dir, "logs/new.log"), ImageTester.CheckSerialLog(Path.Combine(_dir, "logs/new.log"), image));
        Assert.Equal("/var/log/gi-serial.log", ImageTester.CheckSerialLog("/var/log/gi-serial.log", image));
    }
}
