using GentooImage.Engine.Guest;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;
using GentooImage.TestSupport;

namespace GentooImage.Engine.Tests;

/// <summary>
/// Changes to a mounted root never follow the root's own links into what is mounted below it: its
/// /run (the host's, bound by Mount-BuildFilesystems) is reached from Gentoo's /var/run -> /run.
/// </summary>
public sealed class GuestRootFsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gi-guestfs-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void AChangeThatResolvesIntoAFileSystemMountedBelowTheRootIsRefused()
    {
        var root = Path.Combine(_dir, "root");
        foreach (var d in new[] { "etc", "run", "var/log" })
        {
            Directory.CreateDirectory(Path.Combine(root, d));
        }

        File.CreateSymbolicLink(Path.Combine(root, "var/run"), "/run");
        File.CreateSymbolicLink(Path.Combine(root, "var/log/journal"), "../run/log");
        var fs = new GuestRootFs(root);

        // Unmounted: /var/run/x is the root's own /run/x.
        Assert.Equal(Path.Combine(root, "run/x"), fs.ForChange("/var/run/x", followLast: false));

        FixtureRoot.Run("mount", "-t", "tmpfs", "gi-test-run", Path.Combine(root, "run"));
        try
        {
            var ex = Assert.Throws<GentooImageException>(() => fs.ForChange("/var/run/utmp", followLast: false));
            Assert.Equal(ErrorKind.GuestConfigFailed, ex.Kind);
            Assert.Contains("/run", ex.Message, StringComparison.Ordinal);
            Assert.Contains("Dismount-BuildFilesystems", ex.Message, StringComparison.Ordinal);
            Assert.Throws<GentooImageException>(() => fs.ForChange("/var/log/journal", followLast: true));
            Assert.Throws<GentooImageException>(() => fs.ForChange("/run", followLast: true));

            // Everything else in the root is the root's.
            Assert.Equal(Path.Combine(root, "etc/hostname"), fs.ForChange("/etc/hostname", followLast: false));
            Assert.Equal(Path.Combine(root, "var/log/journal"), fs.ForChange("/var/log/journal", followLast: false));
        }
        finally
        {
            FixtureRoot.Run("umount", Path.Combine(root, "run"));
        }
    }

    [Fact]
    public void InitializeCloudGuestRefusesSuchAChangeWhilePlanningBeforeChangingAnything()
    {
        // A mounted root whose /var/log links into its /run (the host's while mounted): the log
        // hygiene would truncate the host's logs there. Initialize-CloudGuest also has a hostname to
        // write and services to enable, none of which may happen either.
        var path = FixtureGuestRoots.CreateOpenRc(Path.Combine(_dir, "guest"));
        var run = Path.Combine(path, "run");
        Directory.CreateDirectory(run);
        var log = Path.Combine(path, "var/log");
        if (Directory.Exists(log))
        {
            Directory.Delete(log, recursive: true);
        }

        File.CreateSymbolicLink(log, "../run/log");
        var before = Snapshot(path);
        FixtureRoot.Run("mount", "-t", "tmpfs", "gi-test-run", run);
        try
        {
            Directory.CreateDirectory(Path.Combine(run, "log"));
            File.WriteAllText(Path.Combine(run, "log/messages"), "the host's log\n");
            var ex = Assert.Throws<GentooImageException>(() => CloudGuest.Initialize(new BuildRoot(path), new GuestOptions { Hostname = "web1" }, OperationContext.None));
            Assert.Equal(ErrorKind.GuestConfigFailed, ex.Kind);
            Assert.Contains("/var/log", ex.Message, StringComparison.Ordinal);
            Assert.Equal("the host's log\n", File.ReadAllText(Path.Combine(run, "log/messages")));
        }
        finally
        {
            FixtureRoot.Run("umount", run);
        }

        Assert.Equal(before, Snapshot(path));
    }

    private static List<string> Snapshot(string path) =>
        Directory.GetFileSystemEntries(path, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Select(f => f + " " + File.GetLastWriteTimeUtc(f).Ticks).Order(StringComparer.Ordinal).ToList();
}
