using System.Globalization;

namespace GentooImage.Engine.Platform;

/// <summary>
/// Keeps long waits visibly alive. It remembers the latest <see cref="ProgressReport"/> of each
/// running activity. For runs that nobody watches on a console (CI, output redirected to a log),
/// where Write-Progress shows nothing, it gives one line every <see cref="Interval"/> saying what is
/// happening and for how long (<see cref="Due"/>); on a console it gives the reports that went quiet
/// with their elapsed time, to refresh the progress bar (<see cref="Stale"/>).
/// </summary>
public sealed class ProgressHeartbeat
{
    /// <summary>The environment variable that overrides the interval, in seconds (0 turns the lines off).</summary>
    public const string IntervalVariable = "GENTOOIMAGE_PROGRESS_INTERVAL";

    /// <summary>The default interval: a line every 30 seconds.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(30);

    private readonly Dictionary<int, (ProgressReport Report, DateTime Since, DateTime Last)> _running = new();
    private DateTime _lastLine;

    public ProgressHeartbeat(TimeSpan interval, DateTime start)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        Interval = interval;
        _lastLine = start;
    }

    public TimeSpan Interval { get; }

    /// <summary>
    /// The interval from <see cref="IntervalVariable"/> when set to a whole number of seconds
    /// (null for 0: no lines), else <see cref="DefaultInterval"/>.
    /// </summary>
    public static TimeSpan? IntervalFromEnvironment(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return DefaultInterval;
        }

        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return DefaultInterval;
        }

        return seconds == 0 ? null : TimeSpan.FromSeconds(seconds);
    }

    /// <summary>Takes note of a report (a completed one ends its activity).</summary>
    public void Observe(ProgressReport report, DateTime now)
    {
        if (report.Completed)
        {
            _running.Remove(report.ActivityId);
            return;
        }

        _running[report.ActivityId] = _running.TryGetValue(report.ActivityId, out var known) && known.Report.Activity == report.Activity
            ? (report, known.Since, now)
            : (report, now, now);
    }

    /// <summary>
    /// For a console: the running activities whose last report is at least <paramref name="age"/>
    /// old, with the time since the activity began added to their status, so a step that reports
    /// nothing for a while (mkfs, make) still shows that it is alive.
    /// </summary>
    public IReadOnlyList<ProgressReport> Stale(DateTime now, TimeSpan age) =>
        _running.Values
            .Where(v => now - v.Last >= age)
            .Select(v => v.Report with { Status = $"{(string.IsNullOrEmpty(v.Report.Status) ? v.Report.Activity : v.Report.Status)} ({Elapsed(now - v.Since)})" })
            .ToList();

    /// <summary>The line to write now, or null when the last one is recent or nothing is running.</summary>
    public string? Due(DateTime now)
    {
        if (_running.Count == 0 || now - _lastLine < Interval)
        {
            return null;
        }

        _lastLine = now;
        var parts = _running.OrderBy(kv => kv.Key).Select(kv => Describe(kv.Value.Report, now - kv.Value.Since));
        return $"[{now.ToLocalTime():HH:mm:ss}] {string.Join(" | ", parts)}";
    }

    private static string Describe(ProgressReport r, TimeSpan elapsed)
    {
        var status = string.IsNullOrEmpty(r.Status) || r.Status == r.Activity ? string.Empty : ": " + r.Status;
        var percent = r.PercentComplete >= 0 ? $", {r.PercentComplete}%" : string.Empty;
        return $"{r.Activity}{status} ({Elapsed(elapsed)}{percent})";
    }

    /// <summary>"42 s", "3 min 05 s", "1 h 02 min".</summary>
    public static string Elapsed(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours} h {t.Minutes:00} min"
        : t.TotalMinutes >= 1 ? $"{(int)t.TotalMinutes} min {t.Seconds:00} s"
        : $"{(int)t.TotalSeconds} s";
}
