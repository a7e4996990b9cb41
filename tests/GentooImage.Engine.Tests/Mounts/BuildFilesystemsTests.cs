using System.Diagnostics;
using GentooImage.Engine.Model;
using GentooImage.Engine.Mounts;
using GentooImage.Engine.Platform;
using GentooImage.TestSupport;

namespace GentooImage.Engine.Tests;

[Collection(RealMountsCollection.Name)]
public sealed class BuildFilesystemsTests
{
    private static readonly OperationContext Ctx = OperationContext.None;

    [Fact]
    public void HostTableIsIdenticalBeforeMountAndAfterDismountAndChrootMountsArePrivate()
    {
        using var r = new MountedRoot();
        var before = MountedRoot.HostKeys();
        var root = BuildFilesystems.Mount(r.Root, new BuildMountOptions(), Ctx);
        Assert.True(root.IsMounted);
        Assert.Equal(new[] { "/proc", "/sys", "/dev", "/run", "/dev/pts", "/dev/ptmx", "/dev/shm", "/var/tmp/portage" },
            root.Mounts.Select(m => "/" + Path.GetRelativePath(r.Path, m.Target)));
        var below = MountedRoot.MountsBelow(r.Path);

        // Nothing below the root is a peer of a host mount: the copies of /dev, /sys, /run are slaves or private.
        Assert.DoesNotContain(below, m => m.Propagation.Contains("shared:", StringComparison.Ordinal));
        var pts = below.Last(m => m.MountPoint == r.Path + "/dev/pts");
        Assert.Equal("devpts", pts.FileSystemType);
        Assert.Contains("gid=5", pts.SuperOptions);
        Assert.Contains("mode=620", pts.SuperOptions);
        Assert.Contains("ptmxmode=666", pts.SuperOptions);
        var shm = below.Last(m => m.MountPoint == r.Path + "/dev/shm");
        Assert.Equal("tmpfs", shm.FileSystemType);
        Assert.Contains("nosuid", shm.MountOptions);
        Assert.Contains("nodev", shm.MountOptions);
        Assert.Equal(before, MountedRoot.HostKeys());

        // A reloaded root knows it is mounted.
        Assert.True(BuildRootStore.Load(r.Path).IsMounted);

        root = BuildFilesystems.Dismount(root, force: false, Ctx);
        Assert.False(root.IsMounted);
        Assert.Empty(MountedRoot.MountsBelow(r.Path));
        Assert.Equal(before, MountedRoot.HostKeys());
        Assert.Equal(new[] { "Mount-BuildFilesystems", "Dismount-BuildFilesystems" }, BuildRootStore.Load(r.Path).History.Select(h => h.Step));
    }

    [Fact]
    public void InsideTheChrootProcDevPtsShmAndPortageTmpfsWork()
    {
        using var r = new MountedRoot();
        var resolvBefore = File.ReadAllText(Path.Combine(r.Path, "etc/resolv.conf"));
        BuildFilesystems.Mount(r.Root, new BuildMountOptions { PortageTmpfsSize = 64L << 20 }, Ctx);

        var (code, output) = r.Chroot(
            "set -e; readlink /proc/self >/dev/null && echo proc-ok; echo x > /dev/null && echo null-ok; " +
            "exec 3<>/dev/ptmx; for p in /dev/pts/[0-9]*; do stat -c 'pty %g %a' $p; done; " +
            "echo data > /dev/shm/t && cat /dev/shm/t && rm /dev/shm/t; " +
            "stat -f -c 'type %T blocks %b bsize %S' /var/tmp/portage; stat -c 'owner %u:%g mode %a' /var/tmp/portage; " +
            "touch /var/tmp/portage/x && echo portage-writable");
        Assert.True(code == 0, output);
        Assert.Contains("proc-ok", output);
        Assert.Contains("null-ok", output);
        Assert.Contains("pty 5 620", output); // our own devpts instance: gid 5, mode 620
        Assert.Contains("data", output);
        Assert.Contains("type tmpfs", output);
        var blocks = long.Parse(output.Split("blocks ")[1].Split(' ')[0]);
        var bsize = long.Parse(output.Split("bsize ")[1].Split('\n')[0]);
        Assert.Equal(64L << 20, blocks * bsize);
        Assert.Contains($"owner {FixtureRoot.PortageUid}:{FixtureRoot.PortageGid} mode 775", output);

        // The chroot's pty instance is not the host's: a pty opened in the root is not on the host's /dev/pts.
        var (fd, n) = MountedRoot.OpenPty(Path.Combine(r.Path, "dev/ptmx"));
        try
        {
            Assert.True(File.Exists(Path.Combine(r.Path, $"dev/pts/{n}")));
            var st = FixtureRoot.Run("stat", "-c", "%g %a", Path.Combine(r.Path, $"dev/pts/{n}")).Trim();
            Assert.Equal("5 620", st);
        }
        finally
        {
            MountedRoot.ClosePty(fd);
        }

        // resolv.conf is the host's while mounted and the root's own again afterwards.
        Assert.Equal(File.ReadAllText("/etc/resolv.conf"), File.ReadAllText(Path.Combine(r.Path, "etc/resolv.conf")));
        BuildFilesystems.Dismount(r.Root, false, Ctx);
        Assert.Equal(resolvBefore, File.ReadAllText(Path.Combine(r.Path, "etc/resolv.conf")));
        Assert.False(File.Exists(Path.Combine(r.Path, "etc/resolv.conf.gentooimage-orig")));
    }

    [Fact]
    public void AHundredCyclesLeaveNothingAndTheHostPtyStillOpens()
    {
        using var r = new MountedRoot();
        var before = MountedRoot.HostKeys();
        for (var i = 0; i < 100; i++)
        {
            var root = BuildFilesystems.Mount(new BuildRoot(r.Path), new BuildMountOptions(), Ctx);
            BuildFilesystems.Dismount(root, false, Ctx);
        }

        Assert.Empty(MountedRoot.MountsBelow(r.Path));
        Assert.Equal(before, MountedRoot.HostKeys());
        var (fd, _) = MountedRoot.OpenPty("/dev/ptmx");
        MountedRoot.ClosePty(fd);
        Assert.True(Directory.Exists("/dev/pts") && File.Exists("/dev/pts/ptmx"));
    }

    [Fact]
    public void AFailureMidwayLeavesNothingMounted()
    {
        using var r = new MountedRoot();
        var before = MountedRoot.HostKeys();
        Directory.CreateDirectory(Path.Combine(r.Path, "var/tmp"));
        File.WriteAllText(Path.Combine(r.Path, "var/tmp/portage"), "a file where a directory belongs");
        File.WriteAllText(Path.Combine(r.Path, "etc/resolv.conf"), "mine\n");
        var ex = Assert.Throws<GentooImageException>(() => BuildFilesystems.Mount(r.Root, new BuildMountOptions(), Ctx));
        Assert.Equal(ErrorKind.MountFailed, ex.Kind);
        Assert.Empty(MountedRoot.MountsBelow(r.Path));
        Assert.Equal(before, MountedRoot.HostKeys());
        Assert.Equal("mine\n", File.ReadAllText(Path.Combine(r.Path, "etc/resolv.conf")));
        Assert.Equal(StepOutcome.Failed, BuildRootStore.Load(r.Path).History.Last().Outcome);

        // The kernel refusing a mount midway (a cache bind onto a file) is undone the same way.
        File.Delete(Path.Combine(r.Path, "var/tmp/portage"));
        ex = Assert.Throws<GentooImageException>(() => BuildFilesystems.Mount(new BuildRoot(r.Path),
            new BuildMountOptions { PortageTmpfsSize = -1 }, Ctx));
        Assert.Equal(ErrorKind.MountFailed, ex.Kind);
        Assert.Contains("errno", ex.Message);
        Assert.Empty(MountedRoot.MountsBelow(r.Path));
        Assert.Equal(before, MountedRoot.HostKeys());
    }

    [Theory]
    [InlineData("dev", "/")]
    [InlineData("dev", "..")]
    [InlineData("proc", "../../../../../../..")]
    [InlineData("run", "/dev")]
    public void SymlinkedMountPointsThatLeaveTheirPlaceAreRefusedBeforeAnythingIsMounted(string dir, string link)
    {
        using var r = new MountedRoot();
        Directory.Delete(Path.Combine(r.Path, dir), true);
        File.CreateSymbolicLink(Path.Combine(r.Path, dir), link);
        var ex = Assert.Throws<GentooImageException>(() => BuildFilesystems.Mount(r.Root, new BuildMountOptions(), Ctx));
        Assert.Equal(ErrorKind.UnsafeMountPoint, ex.Kind);
        Assert.Empty(MountedRoot.MountsBelow(r.Dir));
    }

    [Fact]
    public void SymlinksInsideTheRootAreFollowedInsideTheRoot()
    {
        using var r = new MountedRoot();
        // /var/tmp -> /tmp as an absolute link: chroot semantics put the tmpfs on <root>/tmp/portage, not the host's /tmp.
        Directory.Delete(Path.Combine(r.Path, "var/tmp"), true);
        File.CreateSymbolicLink(Path.Combine(r.Path, "var/tmp"), "/tmp");
        var root = BuildFilesystems.Mount(r.Root, new BuildMountOptions(), Ctx);
        Assert.Contains(root.Mounts, m => m.Target == r.Path + "/tmp/portage");
        Assert.DoesNotContain(MountTable.Read(), m => m.MountPoint == "/tmp/portage");
        BuildFilesystems.Dismount(root, false, Ctx);
    }

    [Fact]
    public void MountingAMountedRootIsANoOp()
    {
        using var r = new MountedRoot();
        var root = BuildFilesystems.Mount(r.Root, new BuildMountOptions(), Ctx);
        var count = MountedRoot.MountsBelow(r.Path).Count;
        var messages = new List<string>();
        BuildFilesystems.Mount(BuildRootStore.Load(r.Path), new BuildMountOptions(), new OperationContext(verbose: messages.Add));
        Assert.Equal(count, MountedRoot.MountsBelow(r.Path).Count);
        Assert.Contains(messages, m => m.Contains("already mounted"));
        BuildFilesystems.Dismount(root, false, Ctx);
    }

    [Fact]
    public void CachesAreBindMountedAndPortageTmpfsCanBeSkipped()
    {
        using var r = new MountedRoot();
        var distfiles = Directory.CreateDirectory(Path.Combine(r.Dir, "distfiles")).FullName;
        var binpkgs = Directory.CreateDirectory(Path.Combine(r.Dir, "binpkgs")).FullName;
        File.WriteAllText(Path.Combine(distfiles, "gcc.tar.xz"), "cached");
        var root = BuildFilesystems.Mount(r.Root,
            new BuildMountOptions { DistfilesCache = distfiles, BinpkgCache = binpkgs, NoPortageTmpfs = true }, Ctx);
        Assert.DoesNotContain(root.Mounts, m => m.Target.EndsWith("/var/tmp/portage", StringComparison.Ordinal));
        var (code, output) = r.Chroot("cat /var/cache/distfiles/gcc.tar.xz; echo pkg > /var/cache/binpkgs/p.gpkg.tar");
        Assert.True(code == 0, output);
        Assert.Contains("cached", output);
        Assert.True(File.Exists(Path.Combine(binpkgs, "p.gpkg.tar")));
        BuildFilesystems.Dismount(root, false, Ctx);
        Assert.True(File.Exists(Path.Combine(binpkgs, "p.gpkg.tar")));
        Assert.False(File.Exists(Path.Combine(r.Path, "var/cache/binpkgs/p.gpkg.tar")));

        var ex = Assert.Throws<GentooImageException>(() => BuildFilesystems.Mount(r.Root,
            new BuildMountOptions { DistfilesCache = Path.Combine(r.Dir, "missing") }, Ctx));
        Assert.Equal(ErrorKind.InvalidArgument, ex.Kind);
    }

    [Fact]
    public void DismountRefusesWhileAProcessIsInsideAndForceTerminatesIt()
    {
        using var r = new MountedRoot();
        var root = BuildFilesystems.Mount(r.Root, new BuildMountOptions(), Ctx);
        using var sleeper = Process.Start(new ProcessStartInfo("chroot") { ArgumentList = { r.Path, "/bin/sleep", "300" } })!;
        var deadline = Stopwatch.StartNew();
        while (new FileInfo($"/proc/{sleeper.Id}/root").LinkTarget != r.Path && deadline.Elapsed < TimeSpan.FromSeconds(5))
        {
            Thread.Sleep(10);
        }

        var ex = Assert.Throws<GentooImageException>(() => BuildFilesystems.Dismount(root, false, Ctx));
        Assert.Equal(ErrorKind.BuildRootBusy, ex.Kind);
        Assert.Contains($"pid {sleeper.Id} (sleep)", ex.Message);
        Assert.NotEmpty(MountedRoot.MountsBelow(r.Path));

        BuildFilesystems.Dismount(root, true, Ctx);
        Assert.True(sleeper.WaitForExit(5000));
        Assert.Empty(MountedRoot.MountsBelow(r.Path));
    }

    [Fact]
    public void DismountCleansUpAfterACrashedSessionAndIsSafeWhenNothingIsMounted()
    {
        using var r = new MountedRoot();
        var fresh = BuildFilesystems.Dismount(new BuildRoot(r.Path), false, Ctx);
        Assert.False(fresh.IsMounted);

        // A crashed session: mounts exist, the state file says nothing about them.
        BuildFilesystems.Mount(new BuildRoot(r.Path), new BuildMountOptions(), Ctx);
        File.Delete(BuildRootStore.StatePathFor(r.Path));
        Assert.NotEmpty(MountedRoot.MountsBelow(r.Path));
        var ex = Assert.Throws<GentooImageException>(() => BuildFilesystems.Mount(new BuildRoot(r.Path), new BuildMountOptions(), Ctx));
        Assert.Equal(ErrorKind.MountFailed, ex.Kind);
        BuildFilesystems.Dismount(new BuildRoot(r.Path), false, Ctx);
        Assert.Empty(MountedRoot.MountsBelow(r.Path));
        Assert.Equal("# fixture resolv.conf\nnameserver 192.0.2.53\n", File.ReadAllText(Path.Combine(r.Path, "etc/resolv.conf")));
    }

    [Fact]
    public void AMissingRootIsBuildRootNotFound()
    {
        var ex = Assert.Throws<GentooImageException>(() =>
            BuildFilesystems.Mount(new BuildRoot("/tmp/gi-does-not-exist-" + Guid.NewGuid()), new BuildMountOptions(), Ctx));
        Assert.Equal(ErrorKind.BuildRootNotFound, ex.Kind);
        ex = Assert.Throws<GentooImageException>(() =>
            BuildFilesystems.Dismount(new BuildRoot("/tmp/gi-does-not-exist-" + Guid.NewGuid()), false, Ctx));
        Assert.Equal(ErrorKind.BuildRootNotFound, ex.Kind);
    }
}

[Collection(RealMountsCollection.Name)]
public sealed class BusyMappedFileTests
{
    [Fact]
    public void AProcessThatOnlyMapsAFileFromAMountIsFoundOnceTheUnmountIsRefused()
    {
        using var r = new MountedRoot();
        var root = BuildFilesystems.Mount(r.Root, new BuildMountOptions(), OperationContext.None);
        // A host process (root and cwd on the host, no open fd on the mount) runs a binary copied to the portage tmpfs:
        // only its maps show the mount.
        File.Copy("/bin/busybox", Path.Combine(r.Path, "var/tmp/portage/busybox"));
        using var p = Process.Start(new ProcessStartInfo(Path.Combine(r.Path, "var/tmp/portage/busybox")) { ArgumentList = { "sleep", "300" }, WorkingDirectory = "/" })!;
        try
        {
            Thread.Sleep(200);
            var ex = Assert.Throws<GentooImageException>(() => BuildFilesystems.Dismount(root, false, OperationContext.None));
            Assert.Equal(ErrorKind.BuildRootBusy, ex.Kind);
            Assert.Contains($"pid {p.Id}", ex.Message);
            Assert.Contains("mapped", ex.Message);
            BuildFilesystems.Dismount(root, true, OperationContext.None);
            Assert.Empty(MountedRoot.MountsBelow(r.Path));
        }
        finally
        {
            if (!p.HasExited)
            {
                p.Kill();
            }
        }
    }
}
