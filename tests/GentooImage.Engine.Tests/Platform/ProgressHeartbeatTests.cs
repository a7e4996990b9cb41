using GentooImage.Engine.Platform;
using Xunit;

namespace GentooImage.Engine.Tests;

public class ProgressHeartbeatTests
{
    private static readonly DateTime T0 = new(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void SaysNothingBeforeTheIntervalAndThenOneLinePerInterval()
    {
        var hb = new ProgressHeartbeat(TimeSpan.FromSeconds(30), T0);
        hb.Observe(new ProgressReport("Testing disk image", "Booting: kernel", 40), T0.AddSeconds(1));
        Assert.Null(hb.Due(T0.AddSeconds(29)));
        var line = hb.Due(T0.AddSeconds(31));
        Assert.NotNull(line);
        Assert.Contains("Testing disk image: Booting: kernel (30 s, 40%)", line, StringComparison.Ordinal);
        Assert.Null(hb.Due(T0.AddSeconds(45)));
        Assert.NotNull(hb.Due(T0.AddSeconds(61)));
    }

    [Fact]
    public void KeepsTheStartOfAnActivityAcrossItsReportsAndShowsNestedOnes()
    {
        var hb = new ProgressHeartbeat(TimeSpan.FromSeconds(30), T0);
        hb.Observe(new ProgressReport("Writing the disk image", "mkfs.ext4", 40), T0);
        hb.Observe(new ProgressReport("Staging the root", "usr/lib64", -1, 1), T0.AddSeconds(100));
        hb.Observe(new ProgressReport("Writing the disk image", "mkfs.ext4 -d", 50), T0.AddSeconds(150));
        var line = hb.Due(T0.AddSeconds(185))!;
        Assert.Contains("Writing the disk image: mkfs.ext4 -d (3 min 05 s, 50%) | Staging the root: usr/lib64 (1 min 25 s)", line, StringComparison.Ordinal);
    }

    [Fact]
    public void CompletedActivitiesStopTheLines()
    {
        var hb = new ProgressHeartbeat(TimeSpan.FromSeconds(30), T0);
        hb.Observe(new ProgressReport("Downloading stage3", "x", 10, 3), T0);
        hb.Observe(new ProgressReport("Downloading stage3", "Done", 100, 3, Completed: true), T0.AddSeconds(5));
        Assert.Null(hb.Due(T0.AddMinutes(5)));
    }

    [Fact]
    public void StaleReportsGetTheirElapsedTimeForAConsoleRefresh()
    {
        var hb = new ProgressHeartbeat(TimeSpan.FromSeconds(30), T0);
        hb.Observe(new ProgressReport("Writing the disk image", "mkfs.ext4 -d", 40), T0);
        hb.Observe(new ProgressReport("Staging the root", "usr", -1, 1), T0.AddSeconds(9));
        var stale = hb.Stale(T0.AddSeconds(10), TimeSpan.FromSeconds(2));
        var report = Assert.Single(stale);
        Assert.Equal("mkfs.ext4 -d (10 s)", report.Status);
        Assert.Equal(40, report.PercentComplete);
        Assert.Equal(2, hb.Stale(T0.AddSeconds(12), TimeSpan.FromSeconds(2)).Count);
    }

    [Theory]
    [InlineData(null, 30)]
    [InlineData("", 30)]
    [InlineData("5", 5)]
    [InlineData("abc", 30)]
    [InlineData("-3", 30)]
    public void IntervalComesFromTheEnvironment(string? value, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), ProgressHeartbeat.IntervalFromEnvironment(value));

    [Fact]
    public void ZeroTurnsTheLinesOff() => Assert.Null(ProgressHeartbeat.IntervalFromEnvironment("0"));

    [Fact]
    public void ElapsedReadsLikeAClock()
    {
        Assert.Equal("42 s", ProgressHeartbeat.Elapsed(TimeSpan.FromSeconds(42.7)));
        Assert.Equal("13 min 05 s", ProgressHeartbeat.Elapsed(TimeSpan.FromSeconds(785)));
        Assert.Equal("1 h 02 min", ProgressHeartbeat.Elapsed(TimeSpan.FromMinutes(62)));
    }
}
