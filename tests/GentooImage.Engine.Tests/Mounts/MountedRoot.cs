using System.Diagnostics;
using System.Runtime.InteropServices;
using GentooImage.Engine.Model;
using GentooImage.Engine.Mounts;
using GentooImage.Engine.Platform;
using GentooImage.TestSupport;

namespace GentooImage.Engine.Tests;

/// <summary>Tests that mount for real run one at a time: they compare the host's mount table.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RealMountsCollection
{
    public const string Name = "real mounts";
}

/// <summary>A fixture root in a unique /tmp/gi-* directory; Dispose takes every mount down before deleting anything.</summary>
public sealed class MountedRoot : IDisposable
{
    public MountedRoot(bool withBash = false)
    {
        Dir = Directory.CreateTempSubdirectory("gi-mnt-").FullName;
        Path = FixtureRoot.Create(System.IO.Path.Combine(Dir, "root"), withBash);
        Root = new BuildRoot(Path);
    }

    public string Dir { get; }

    public string Path { get; }

    public BuildRoot Root { get; set; }

    /// <summary>Mounts below <paramref name="dir"/> in the live table.</summary>
    public static List<MountEntry> MountsBelow(string dir) =>
        MountTable.Read().Where(m => m.MountPoint.StartsWith(dir + "/", StringComparison.Ordinal) || m.MountPoint == dir).ToList();

    /// <summary>The host's table without anything below a gi-* test directory (other tests may run), as comparable keys.</summary>
    public static List<string> HostKeys() =>
        MountTable.Read().Where(m => !m.MountPoint.Contains("/gi-", StringComparison.Ordinal)).Select(m => m.Key).ToList();

    /// <summary>Runs a command inside the root with chroot(8); returns (exit code, stdout+stderr).</summary>
    public (int Code, string Output) Chroot(string script)
    {
        var psi = new ProcessStartInfo("chroot") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path, "/bin/sh", "-c", script })
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output + err.Result);
    }

    public void Dispose()
    {
        try
        {
            if (MountsBelow(Dir).Count > 0)
            {
                BuildFilesystems.Dismount(new BuildRoot(Path), force: true, OperationContext.None);
            }
        }
        finally
        {
            // Never delete through a mount (that would delete on the host's /dev or /sys).
            if (MountsBelow(Dir).Count == 0)
            {
                Directory.Delete(Dir, true);
            }
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int open(string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int ioctl(int fd, ulong request, out int value);

    /// <summary>Opens a pty master at <paramref name="ptmx"/> and returns (fd, pty number); throws when it fails.</summary>
    public static (int Fd, int Number) OpenPty(string ptmx)
    {
        const int O_RDWR = 2, O_NOCTTY = 0x100;
        const ulong TIOCGPTN = 0x80045430, TIOCSPTLCK = 0x40045431;
        var fd = open(ptmx, O_RDWR | O_NOCTTY);
        if (fd < 0)
        {
            throw new IOException($"open {ptmx}: errno {Marshal.GetLastPInvokeError()}");
        }

        if (ioctl(fd, TIOCGPTN, out var n) != 0)
        {
            close(fd);
            throw new IOException($"TIOCGPTN on {ptmx}: errno {Marshal.GetLastPInvokeError()}");
        }

        _ = TIOCSPTLCK;
        return (fd, n);
    }

    public static void ClosePty(int fd) => close(fd);
}
