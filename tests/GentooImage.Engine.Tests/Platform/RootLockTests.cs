using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Tests.Platform;

/// <summary>The per-root lock: flock(2) on a file outside the root, exclusive across open files and processes.</summary>
public sealed class RootLockTests : IDisposable
{
    private readonly string _saved = RootLock.Directory;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "gi-locks-" + Guid.NewGuid().ToString("N")[..8]);

    public RootLockTests() => RootLock.Directory = _dir;

    public void Dispose()
    {
        RootLock.Directory = _saved;
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void ASecondHolderIsRefusedWithTheFirstOnesPidAndOperation()
    {
        using (var first = RootLock.Acquire("/tmp/gi-some-root", "Mount-BuildFilesystems", TimeSpan.Zero, default))
        {
            var ex = Assert.Throws<GentooImageException>(() => RootLock.Acquire("/tmp/gi-some-root", "Dismount-BuildFilesystems", TimeSpan.Zero, default));
            Assert.Equal(ErrorKind.BuildRootLocked, ex.Kind);
            Assert.Contains($"pid {Environment.ProcessId}", ex.Message);
            Assert.Contains("Mount-BuildFilesystems", ex.Message);

            // Another root is another lock.
            using var other = RootLock.Acquire("/tmp/gi-other-root", "Mount-BuildFilesystems", TimeSpan.Zero, default);
        }

        // Released (and its file removed) on dispose: the next one gets it at once.
        Assert.Empty(Directory.GetFiles(_dir));
        using var again = RootLock.Acquire("/tmp/gi-some-root", "Dismount-BuildFilesystems", TimeSpan.Zero, default);
    }

    [Fact]
    public void AnotherProcessHoldingTheLockIsSeen()
    {
        var file = RootLock.FileFor("/tmp/gi-root-held-by-flock");
        Directory.CreateDirectory(_dir);
        File.WriteAllText(file, string.Empty);
        var inode = FileIdentity.Of(file)!.Value.Inode;
        using var holder = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("flock", new[] { "-x", "-o", file, "sleep", "30" }))!;
        try
        {
            // Wait until flock(1) holds it (/proc/locks names the inode), then try.
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (DateTime.UtcNow < deadline && !File.ReadAllLines("/proc/locks").Any(l => l.Contains("FLOCK", StringComparison.Ordinal) && l.Contains($":{inode} ", StringComparison.Ordinal)))
            {
                Thread.Sleep(50);
            }

            var ex = Assert.Throws<GentooImageException>(() => RootLock.Acquire("/tmp/gi-root-held-by-flock", "Test", TimeSpan.Zero, default));
            Assert.Equal(ErrorKind.BuildRootLocked, ex.Kind);
            Assert.Contains("just starting", ex.Message); // flock(1) wrote no holder text
        }
        finally
        {
            holder.Kill(entireProcessTree: true);
            holder.WaitForExit();
        }

        // The kernel dropped the lock with its holder.
        using var after = RootLock.Acquire("/tmp/gi-root-held-by-flock", "Test", TimeSpan.FromSeconds(5), default);
    }

    [Fact]
    public async Task WaitsUpToTheTimeoutForTheHolder()
    {
        var first = RootLock.Acquire("/tmp/gi-wait-root", "First", TimeSpan.Zero, default);
        var release = Task.Run(async () =>
        {
            await Task.Delay(500);
            first.Dispose();
        });
        using var second = RootLock.Acquire("/tmp/gi-wait-root", "Second", TimeSpan.FromSeconds(10), default);
        await release;
    }

    [Fact]
    public void OneRootReachedByTwoPathsIsOneLock()
    {
        // mount --bind /srv/g /mnt/g: two canonical paths, one directory.
        var real = Directory.CreateTempSubdirectory("gi-lock-real-").FullName;
        var alias = Directory.CreateTempSubdirectory("gi-lock-alias-").FullName;
        GentooImage.TestSupport.FixtureRoot.Run("mount", "--bind", real, alias);
        try
        {
            using (RootLock.Acquire(real, "Invoke-GentooChroot", TimeSpan.Zero, default))
            {
                var ex = Assert.Throws<GentooImageException>(() => RootLock.Acquire(alias, "New-Stage3Root", TimeSpan.Zero, default));
                Assert.Equal(ErrorKind.BuildRootLocked, ex.Kind);
                Assert.Contains("Invoke-GentooChroot", ex.Message);
            }

            // The path lock alone was released too: nothing is held any more.
            using var again = RootLock.Acquire(alias, "New-Stage3Root", TimeSpan.Zero, default);
        }
        finally
        {
            GentooImage.TestSupport.FixtureRoot.Run("umount", alias);
            Directory.Delete(alias);
            Directory.Delete(real);
        }
    }

    [Fact]
    public void ALockDirectoryAnotherUserCouldWriteToIsRefused()
    {
        Directory.CreateDirectory(_dir);
        GentooImage.TestSupport.FixtureRoot.Run("chmod", "1777", _dir);
        var ex = Assert.Throws<GentooImageException>(() => RootLock.Acquire("/tmp/gi-some-root", "Mount-BuildFilesystems", TimeSpan.Zero, default));
        Assert.Equal(ErrorKind.BuildRootLocked, ex.Kind);
        Assert.Contains("owned by root", ex.Message);
        Assert.Empty(Directory.GetFiles(_dir));

        GentooImage.TestSupport.FixtureRoot.Run("chmod", "755", _dir);
        GentooImage.TestSupport.FixtureRoot.Run("chown", "65534", _dir);
        Assert.Throws<GentooImageException>(() => RootLock.Acquire("/tmp/gi-some-root", "Mount-BuildFilesystems", TimeSpan.Zero, default));
        GentooImage.TestSupport.FixtureRoot.Run("chown", "0", _dir);
        using var fine = RootLock.Acquire("/tmp/gi-some-root", "Mount-BuildFilesystems", TimeSpan.Zero, default);
    }
}
