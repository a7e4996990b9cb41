using GentooImage.Engine.Platform;
using GentooImage.TestSupport;

namespace GentooImage.Engine.Tests.Platform;

/// <summary>The path checks on real files: symlinks, device nodes, existing files, kernel configs.</summary>
public sealed class HostPathFilesTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "gi-pathpolicy-" + Guid.NewGuid().ToString("N")[..8]);

    public HostPathFilesTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ASymlinkToRootIsTheRoot()
    {
        var link = Path.Combine(_dir, "host");
        File.CreateSymbolicLink(link, "/");
        var ex = Assert.Throws<GentooImageException>(() => HostPathPolicy.CheckBuildRoot(link, "Path"));
        Assert.Equal(ErrorKind.UnsafeRootPath, ex.Kind);
        Assert.Contains("which is '/'", ex.Message);
    }

    [Fact]
    public void NeverWritesAnImageOverADeviceNodeEvenWithForce()
    {
        var node = Path.Combine(_dir, "disk");
        FixtureRoot.Run("mknod", node, "b", "7", "250");
        var ex = Assert.Throws<GentooImageException>(() => HostPathPolicy.CheckOutputFile(node, "Path", HostPathUse.Image, mayReplace: true, "use -Force"));
        Assert.Equal(ErrorKind.UnsafeOutputPath, ex.Kind);
        Assert.Contains("block device", ex.Message);
        Assert.Equal(LibC.S_IFBLK, FileIdentity.TypeOf(node));
    }

    [Fact]
    public void AnExistingLogIsRefusedUnlessAppending()
    {
        var log = Path.Combine(_dir, "build.log");
        File.WriteAllText(log, "keep me\n");
        var ex = Assert.Throws<GentooImageException>(() => HostPathPolicy.CheckOutputFile(log, "LogPath", HostPathUse.Log, mayReplace: false, "use -Append"));
        Assert.Equal(ErrorKind.UnsafeOutputPath, ex.Kind);
        Assert.Contains("-Append", ex.Message);
        Assert.Equal(log, HostPathPolicy.CheckOutputFile(log, "LogPath", HostPathUse.Log, mayReplace: true, "use -Append"));
        Assert.Equal("keep me\n", File.ReadAllText(log));
    }

    [Fact]
    public void ALogIsOpenedWithoutFollowingASymlinkAndOnlyWhenItIsARegularFile()
    {
        // A checked name swapped for a symlink (to a file of the host's, say) before the open.
        var target = Path.Combine(_dir, "shadow");
        File.WriteAllText(target, "secret\n");
        var link = Path.Combine(_dir, "serial.log");
        File.CreateSymbolicLink(link, target);
        var ex = Assert.Throws<GentooImageException>(() => FileIdentity.CreateLogNoFollow(link, append: false));
        Assert.Equal(ErrorKind.UnsafeOutputPath, ex.Kind);
        Assert.Contains("symlink", ex.Message);
        Assert.Equal("secret\n", File.ReadAllText(target));

        // A FIFO is refused at once (no hang waiting for a reader).
        var fifo = Path.Combine(_dir, "fifo.log");
        FixtureRoot.Run("mkfifo", fifo);

        var fifoError = Assert.ThrowsAny<Exception>(() => FileIdentity.CreateLogNoFollow(fifo, append: true));
        Assert.True(fifoError is GentooImageException { Kind: ErrorKind.UnsafeOutputPath } or IOException, fifoError.ToString());

        // A regular file: emptied, or appended to.
        var log = Path.Combine(_dir, "build.log");
        File.WriteAllText(log, "old\n");
        using (var w = new StreamWriter(FileIdentity.CreateLogNoFollow(log, append: true)))
        {
            w.Write("more\n");
        }

        Assert.Equal("old\nmore\n", File.ReadAllText(log));
        using (var w = new StreamWriter(FileIdentity.CreateLogNoFollow(log, append: false)))
        {
            w.Write("new\n");
        }

        Assert.Equal("new\n", File.ReadAllText(log));
        var made = Path.Combine(_dir, "new.log");
        FileIdentity.CreateLogNoFollow(made, append: false).Dispose();
        Assert.Equal(0, new FileInfo(made).Length);
    }

    [Fact]
    public void AKernelConfigIsRecognisedByItsContent()
    {
        var config = Path.Combine(_dir, ".config");
        File.WriteAllText(config, "#\n# Automatically generated file; DO NOT EDIT.\n#\nCONFIG_64BIT=y\n# CONFIG_XEN is not set\n\nCONFIG_LOCALVERSION=\"\"\n");
        Assert.Equal(config, HostPathPolicy.CheckKernelConfigFile(config, "ConfigPath"));

        var passwd = Path.Combine(_dir, "passwd");
        File.WriteAllText(passwd, "root:x:0:0:root:/root:/bin/bash\n");
        var ex = Assert.Throws<GentooImageException>(() => HostPathPolicy.CheckKernelConfigFile(passwd, "ConfigPath"));
        Assert.Equal(ErrorKind.NotAKernelConfig, ex.Kind);
        Assert.Contains("line 1", ex.Message);

        var empty = Path.Combine(_dir, "empty");
        File.WriteAllText(empty, "# nothing\n");
        Assert.Equal(ErrorKind.NotAKernelConfig, Assert.Throws<GentooImageException>(() => HostPathPolicy.CheckKernelConfigFile(empty, "ConfigPath")).Kind);
    }

    [Fact]
    public void ADirectoryHoldingAnotherBuildRootIsRefused()
    {
        var parent = Path.Combine(_dir, "builds");
        var child = Path.Combine(parent, "2026", "root");
        Directory.CreateDirectory(Path.Combine(child, "etc"));
        File.WriteAllText(Path.Combine(child, "etc/os-release"), "ID=gentoo\n");
        var ex = Assert.Throws<GentooImageException>(() => HostPathPolicy.CheckBuildRoot(parent, "Path", d => d == child, new[] { "/etc/os-release" }));
        Assert.Equal(ErrorKind.UnsafeRootPath, ex.Kind);
        Assert.Contains(child, ex.Message);
        Assert.Equal(child, HostPathPolicy.CheckBuildRoot(child, "Path", d => d == child));
    }
}
