using System.Diagnostics;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Tests;

/// <summary>The cache lock: waits only while another holder has it; every other failure at once.</summary>
public sealed class ExclusiveFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gi-xlock-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public async Task WaitsWhileHeldAndGetsItWhenReleased()
    {
        var path = Path.Combine(_dir, "a.lock");
        var holder = ExclusiveFile.Wait(path, TimeSpan.Zero, TimeSpan.FromMilliseconds(50));
        var waits = 0;
        var second = ExclusiveFile.WaitAsync(path, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(50), () => waits++, CancellationToken.None);
        await Task.Delay(300);
        Assert.False(second.IsCompleted);
        holder.Dispose();
        using var got = await second;
        Assert.Equal(1, waits);
    }

    [Fact]
    public void GivesUpAfterTheTimeoutWhileHeld()
    {
        var path = Path.Combine(_dir, "b.lock");
        using var holder = ExclusiveFile.Wait(path, TimeSpan.Zero, TimeSpan.FromMilliseconds(50));
        Assert.Throws<TimeoutException>(() => ExclusiveFile.Wait(path, TimeSpan.FromMilliseconds(300), TimeSpan.FromMilliseconds(50)));
    }

    [Fact]
    public void AnyOtherFailureIsThrownAtOnceNotWaitedOut()
    {
        var watch = Stopwatch.StartNew();
        Assert.Throws<DirectoryNotFoundException>(() => ExclusiveFile.Wait(Path.Combine(_dir, "missing", "c.lock"), TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(1)));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task CancellationEndsTheWait()
    {
        var path = Path.Combine(_dir, "d.lock");
        using var holder = ExclusiveFile.Wait(path, TimeSpan.Zero, TimeSpan.FromMilliseconds(50));
        using var cts = new CancellationTokenSource(300);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            ExclusiveFile.WaitAsync(path, Timeout.InfiniteTimeSpan, TimeSpan.FromMilliseconds(50), null, cts.Token));
    }
}
