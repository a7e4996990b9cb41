using System.Diagnostics;
using System.Text;

namespace GentooImage.Engine.Platform;

/// <summary>
/// The real <see cref="IProcessRunner"/>: System.Diagnostics.Process with an argument vector, started
/// through <see cref="ChildLauncher"/> so that no child outlives this process.
/// </summary>
public sealed class ProcessRunner : IProcessRunner
{
    public static ProcessRunner Instance { get; } = new();

    public async Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken cancellation = default)
    {
        cancellation.ThrowIfCancellationRequested();
        var psi = new ProcessStartInfo(ToolLocator.Require(spec.FileName))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var a in spec.Arguments)
        {
            psi.ArgumentList.Add(a);
        }

        if (spec.WorkingDirectory is not null)
        {
            psi.WorkingDirectory = spec.WorkingDirectory;
        }

        if (spec.ClearEnvironment)
        {
            psi.Environment.Clear();
        }

        if (spec.Environment is not null)
        {
            foreach (var (k, v) in spec.Environment)
            {
                if (v is null)
                {
                    psi.Environment.Remove(k);
                }
                else
                {
                    psi.Environment[k] = v;
                }
            }
        }

        var stdout = spec.CaptureOutput ? new StringBuilder() : null;
        var stderr = spec.CaptureOutput ? new StringBuilder() : null;
        using var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var outDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var errDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) => OnLine(e.Data, stdout, spec.OnStdout, outDone);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data, stderr, spec.OnStderr, errDone);

        var watch = Stopwatch.StartNew();
        try
        {
            // Forked from the launcher thread under setpriv --pdeathsig KILL: it dies with pwsh.
            ChildLauncher.Start(process);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new GentooImageException(ErrorKind.ToolMissing, $"Cannot start '{spec.FileName}': {ex.Message}.", spec.FileName, ex);
        }

        Task streamOut = Task.CompletedTask;
        if (spec.StandardOutputReader is { } reader)
        {
            streamOut = Task.Run(() => reader(process.StandardOutput.BaseStream, cancellation), CancellationToken.None);
            outDone.TrySetResult();
        }
        else
        {
            process.BeginOutputReadLine();
        }

        process.BeginErrorReadLine();
        Task streamIn;
        if (spec.StandardInputWriter is { } writer)
        {
            streamIn = Task.Run(
                async () =>
                {
                    try
                    {
                        await writer(process.StandardInput.BaseStream, cancellation).ConfigureAwait(false);
                    }
                    finally
                    {
                        try
                        {
                            process.StandardInput.Close();
                        }
                        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
                        {
                            // Already closed by the writer or by the process.
                        }
                    }
                },
                CancellationToken.None);
        }
        else
        {
            streamIn = Task.CompletedTask;
            try
            {
                if (spec.StandardInput is not null)
                {
                    await process.StandardInput.WriteAsync(spec.StandardInput.AsMemory(), cancellation).ConfigureAwait(false);
                }

                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The process closed its stdin early; its exit code tells the rest.
            }
            catch (OperationCanceledException)
            {
                KillTree(process);
                throw OperationContext.Cancelled(spec.Display);
            }
        }

        using var timeoutCts = spec.Timeout is { } t ? new CancellationTokenSource(t) : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellation, timeoutCts.Token);
        var timedOut = false;
        try
        {
            // A failing stream callback kills the process at once instead of waiting for it to notice.
            var exited = process.WaitForExitAsync(linked.Token);
            var streams = Task.WhenAll(streamIn, streamOut);
            var first = await Task.WhenAny(exited, streams).ConfigureAwait(false);
            if (first == streams && (streams.IsFaulted || streams.IsCanceled))
            {
                KillTree(process);
                await streams.ConfigureAwait(false); // rethrows the callback's exception
            }

            await exited.ConfigureAwait(false);
            await streams.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            KillTree(process);
            await Task.WhenAny(Task.WhenAll(streamIn, streamOut), Task.Delay(TimeSpan.FromSeconds(5), CancellationToken.None)).ConfigureAwait(false);
            if (cancellation.IsCancellationRequested)
            {
                throw OperationContext.Cancelled(spec.Display);
            }

            timedOut = true;
        }

        // Drain what is still in the pipes (bounded: a killed tree may leave a grandchild holding them).
        await Task.WhenAny(Task.WhenAll(outDone.Task, errDone.Task), Task.Delay(TimeSpan.FromSeconds(5), CancellationToken.None)).ConfigureAwait(false);
        return new ProcessResult(
            spec,
            timedOut ? -1 : process.ExitCode,
            stdout?.ToString() ?? string.Empty,
            stderr?.ToString() ?? string.Empty,
            watch.Elapsed,
            timedOut);
    }

    private static void OnLine(string? line, StringBuilder? sink, Action<string>? callback, TaskCompletionSource done)
    {
        if (line is null)
        {
            done.TrySetResult();
            return;
        }

        if (sink is not null)
        {
            lock (sink)
            {
                sink.Append(line).Append('\n');
            }
        }

        callback?.Invoke(line);
    }

    private static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }
}
