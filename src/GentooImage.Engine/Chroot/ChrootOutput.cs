using System.Diagnostics;
using System.Text;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Chroot;

/// <summary>
/// The script's output as it arrives: every line to the log file and to the information stream,
/// the last lines kept for the error message, and a progress record at most once a second.
/// </summary>
internal sealed class ChrootOutput : IDisposable
{
    private const int TailLines = 20;

    private readonly StreamWriter _log;
    private readonly Queue<string> _tail = new(TailLines + 1);
    private readonly OperationContext _ctx;
    private readonly Stopwatch _watch;
    private readonly string _activity;
    private long _nextReportMs;
    private long _lines;

    public ChrootOutput(string logPath, bool append, OperationContext ctx, Stopwatch watch, string activity)
    {
        _log = new StreamWriter(FileIdentity.CreateLogNoFollow(logPath, append), new UTF8Encoding(false), 1 << 16);
        _ctx = ctx;
        _watch = watch;
        _activity = activity;
    }

    /// <summary>The lines so far.</summary>
    public long Lines => Interlocked.Read(ref _lines);

    /// <summary>A log file under the root's /var/log/gentooimage, named for the time of the run.</summary>
    public static string DefaultLog(string rootPath) =>
        Path.Combine(ChrootScript.DirectoryInRoot(rootPath, "/var/log/gentooimage"),
            $"chroot-{DateTime.Now:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}.log");

    /// <summary>Writes a line of the module's own (a "# ..." header or footer) to the log only.</summary>
    public void Note(string text)
    {
        lock (_log)
        {
            _log.Write(text);
        }
    }

    public void OnLine(string line, string tag)
    {
        var report = false;
        long count;
        lock (_log)
        {
            // Progress at most once a second (a million lines must not become a million
            // progress records): the lines so far, the time, and the latest line.
            if (_watch.ElapsedMilliseconds >= _nextReportMs)
            {
                _nextReportMs = _watch.ElapsedMilliseconds + 1000;
                report = true;
            }

            _log.Write(line);
            _log.Write('\n');
            _tail.Enqueue(line);
            if (_tail.Count > TailLines)
            {
                _tail.Dequeue();
            }

            count = Interlocked.Increment(ref _lines);
        }

        _ctx.Information(line, tag);
        if (report)
        {
            var latest = line.Length > 60 ? line[..57] + "..." : line;
            _ctx.Report(new ProgressReport(_activity, $"{count} lines, {ProgressHeartbeat.Elapsed(_watch.Elapsed)}: {latest}", -1, 4));
        }
    }

    /// <summary>The last lines, for an error message ("" when there were none).</summary>
    public string TailText()
    {
        lock (_log)
        {
            return _tail.Count == 0 ? string.Empty : $"\nLast {_tail.Count} lines:\n" + string.Join('\n', _tail);
        }
    }

    public void Dispose() => _log.Dispose();
}
