using System.Collections.Concurrent;
using System.Management.Automation;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;

namespace GentooImage.Commands;

/// <summary>
/// Base of every GentooImage cmdlet. It owns cancellation (StopProcessing cancels the engine),
/// runs engine work off the pipeline thread while marshalling its progress, verbose, warning and
/// information messages back onto it, and turns engine exceptions into ErrorRecords in one place.
/// </summary>
public abstract class GentooCmdletBase : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private bool _logOutput;
    private bool _disposed;

    /// <summary>Cancelled by Ctrl+C (StopProcessing), and by SIGTERM, SIGHUP and SIGINT without a terminal (<see cref="SignalCancellation"/>).</summary>
    protected CancellationToken CancelToken => _cancel.Token;

    protected override void StopProcessing() => _cancel.Cancel();

    /// <summary>
    /// Runs <see cref="Run"/> and writes what it returns. The output is written only after Run has
    /// returned, so a build root's lock (held inside Run) is released before the next cmdlet of
    /// the pipeline (New-Stage3Root | Mount-BuildFilesystems) asks for the same lock.
    /// </summary>
    protected override void ProcessRecord()
    {
        if (Run() is { } output)
        {
            WriteObject(output);
        }
    }

    /// <summary>The work of one pipeline record; returns the object to output, or null.</summary>
    protected virtual object? Run() => null;

    /// <summary>
    /// Runs <paramref name="work"/> on a worker thread with an <see cref="OperationContext"/> whose
    /// messages are written on this (the pipeline) thread, then returns its result. Engine failures
    /// become terminating errors with stable ErrorIds.
    /// </summary>
    protected T RunEngine<T>(string activity, object? target, Func<OperationContext, T> work)
    {
        // SIGTERM/SIGHUP (and SIGINT without a terminal) cancel this like Ctrl+C; after a signal
        // no new operation starts, and the process ends once this one has cleaned up.
        IDisposable signals;
        try
        {
            signals = SignalCancellation.Enter(_cancel);
        }
        catch (GentooImageException ex)
        {
            ThrowTerminatingError(ErrorRecords.From(ex, target));
            throw;
        }

        using var signalsScope = signals;
        // Bounded, so a chatty engine (a million output lines) waits for the host instead of
        // growing memory.
        using var queue = new BlockingCollection<Action>(boundedCapacity: 4096);
        var activities = new HashSet<int>();
        var heartbeat = NewHeartbeat();
        var nextRefresh = DateTime.MinValue;
        void Post(Action action)
        {
            try
            {
                queue.Add(action, _cancel.Token);
            }
            catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException or ObjectDisposedException)
            {
                // Completed or stopping: the message no longer has anywhere to go.
            }
        }

        var context = new OperationContext(
            _cancel.Token,
            new QueueProgress(Post, this, activities, heartbeat),
            m => Post(() => WriteVerbose(m)),
            m => Post(() => WriteWarning(m)),
            (m, tag) => Post(() => WriteInformation(new InformationRecord(m, tag) { Tags = { tag } })));

        var task = Task.Run(() =>
        {
            try
            {
                return work(context);
            }
            finally
            {
                queue.CompleteAdding();
            }
        });

        try
        {
            while (!queue.IsCompleted)
            {
                // Wakes up at least once a second, so a long wait with no new report still gets its
                // progress line in a log.
                if (queue.TryTake(out var action, 1000))
                {
                    action();
                }

                if (heartbeat is null)
                {
                    continue;
                }

                if (_logOutput)
                {
                    if (heartbeat.Due(DateTime.UtcNow) is { } line)
                    {
                        Host.UI.WriteLine(line);
                    }
                }
                else if (DateTime.UtcNow >= nextRefresh)
                {
                    // A console: once a second, a step that has said nothing for 2 s gets its
                    // elapsed time shown.
                    nextRefresh = DateTime.UtcNow.AddSeconds(1);
                    foreach (var stale in heartbeat.Stale(DateTime.UtcNow, TimeSpan.FromSeconds(2)))
                    {
                        WriteProgress(ToRecord(stale));
                    }
                }
            }
        }
        catch (PipelineStoppedException)
        {
            // Ctrl+C while writing: stop the engine and wait for it to clean up before leaving.
            _cancel.Cancel();
            task.ContinueWith(_ => { }, TaskScheduler.Default).Wait();
            if (SignalCancellation.ReceivedSignal is var stoppedBy and not 0)
            {
                AnnounceSignalError(ErrorRecords.From(SignalCancellation.Cancelled(stoppedBy), target));
                SignalCancellation.AwaitExit(signalsScope);
            }

            throw;
        }

        try
        {
            foreach (var id in activities)
            {
                WriteProgress(new ProgressRecord(id, activity, "Done") { RecordType = ProgressRecordType.Completed });
            }
        }
        catch (PipelineStoppedException) when (SignalCancellation.ReceivedSignal != 0)
        {
            // pwsh stops the pipeline on SIGINT too: the signal's error below must still be written.
        }

        try
        {
            return task.GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is not PipelineStoppedException)
        {
            // After a signal every failure is the cancellation's (a killed tool's exit code, ...).
            if (SignalCancellation.ReceivedSignal is var signo and not 0)
            {
                var record = ErrorRecords.From(SignalCancellation.Cancelled(signo, ex), target);
                AnnounceSignalError(record);
                SignalCancellation.AwaitExit(signalsScope);
                ThrowTerminatingError(record);
            }

            ThrowTerminatingError(ErrorRecords.From(ex, target));
            throw; // unreachable: ThrowTerminatingError always throws
        }
    }

    /// <summary>
    /// Progress lines for runs without an interactive console: pwsh draws no Write-Progress when its
    /// output is redirected (CI, a log file), so there a line is written every 30 s
    /// (GENTOOIMAGE_PROGRESS_INTERVAL seconds; 0 for none) while an engine activity runs.
    /// </summary>
    private ProgressHeartbeat? NewHeartbeat()
    {
        if (Host.Name != "ConsoleHost")
        {
            return null;
        }

        _logOutput = Console.IsOutputRedirected;
        if (!_logOutput)
        {
            return new ProgressHeartbeat(ProgressHeartbeat.DefaultInterval, DateTime.UtcNow);
        }

        var interval = ProgressHeartbeat.IntervalFromEnvironment(Environment.GetEnvironmentVariable(ProgressHeartbeat.IntervalVariable));
        return interval is null ? null : new ProgressHeartbeat(interval.Value, DateTime.UtcNow);
    }

    /// <summary>
    /// After a signal the process ends as soon as every operation has cleaned up, possibly before
    /// the host has shown the terminating error; so the error is also written at once, in one line.
    /// </summary>
    private void AnnounceSignalError(ErrorRecord record)
    {
        // Straight to stderr, which works in every state of the pipeline (pwsh also stops it on SIGINT).
        try
        {
            Console.Error.WriteLine($"{MyInvocation.MyCommand.Name}: {record.Exception.Message} ({record.FullyQualifiedErrorId}, {record.CategoryInfo.Category})");
            Console.Error.Flush();
        }
        catch (IOException)
        {
            // stderr is gone: the terminating error still carries the message.
        }
    }

    /// <summary>Runs engine work that returns nothing.</summary>
    protected void RunEngine(string activity, object? target, Action<OperationContext> work) =>
        RunEngine<bool>(activity, target, ctx =>
        {
            work(ctx);
            return true;
        });

    /// <summary>Throws a terminating error for an engine exception raised on the pipeline thread.</summary>
    protected void ThrowEngineError(Exception exception, object? target) =>
        ThrowTerminatingError(ErrorRecords.From(exception, target));

    /// <summary>
    /// The one way a cmdlet opens a build root: through the root guard (once, before anything is
    /// written), canonicalised and checked, shown to be a build root, and locked for
    /// <see cref="BuildRootAccess.Change"/> unless this is a -WhatIf run. <paramref name="piped"/> is
    /// the object the user piped in, if any. Dispose the lease when the record is done.
    /// </summary>
    protected BuildRootLease OpenBuildRoot(string path, BuildRootAccess access, string parameterName, BuildRoot? piped)
    {
        try
        {
            return BuildRootGuard.Open(path, access, MyInvocation.MyCommand.Name, parameterName, piped, CancelToken, takeLock: !IsWhatIf());
        }
        catch (Exception ex)
        {
            ThrowEngineError(ex, path);
            throw;
        }
    }

    /// <summary>True when this run only shows what it would do (-WhatIf or $WhatIfPreference).</summary>
    protected bool IsWhatIf() =>
        (MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w) && w is SwitchParameter { IsPresent: true }) ||
        SessionState.PSVariable.GetValue("WhatIfPreference") is true or SwitchParameter { IsPresent: true };

    /// <summary>Resolves a user path (relative to the current location, ~, provider-qualified) to an absolute file system path.</summary>
    protected string ResolvePath(string path)
    {
        try
        {
            return SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
        }
        catch (Exception ex) when (ex is ProviderNotFoundException or System.Management.Automation.DriveNotFoundException or NotSupportedException or PSArgumentException)
        {
            ThrowTerminatingError(ErrorRecords.From(
                new GentooImageException(ErrorKind.InvalidArgument, $"'{path}' is not a file system path: {ex.Message}", path, ex),
                path));
            throw;
        }
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _cancel.Dispose();
            _disposed = true;
        }

        GC.SuppressFinalize(this);
    }

    private static ProgressRecord ToRecord(ProgressReport value) =>
        new(value.ActivityId, value.Activity, string.IsNullOrEmpty(value.Status) ? value.Activity : value.Status)
        {
            PercentComplete = Math.Clamp(value.PercentComplete, -1, 100),
            RecordType = value.Completed ? ProgressRecordType.Completed : ProgressRecordType.Processing,
        };

    private sealed class QueueProgress : IProgress<ProgressReport>
    {
        private readonly Action<Action> _post;
        private readonly GentooCmdletBase _cmdlet;
        private readonly HashSet<int> _activities;
        private readonly ProgressHeartbeat? _heartbeat;

        public QueueProgress(Action<Action> post, GentooCmdletBase cmdlet, HashSet<int> activities, ProgressHeartbeat? heartbeat)
        {
            _post = post;
            _cmdlet = cmdlet;
            _activities = activities;
            _heartbeat = heartbeat;
        }

        public void Report(ProgressReport value) => _post(() =>
        {
            var record = ToRecord(value);
            if (value.Completed)
            {
                _activities.Remove(value.ActivityId);
            }
            else
            {
                _activities.Add(value.ActivityId);
            }

            _heartbeat?.Observe(value, DateTime.UtcNow);
            _cmdlet.WriteProgress(record);
        });
    }
}
