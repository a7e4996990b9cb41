using System.Collections.Concurrent;
using System.Diagnostics;

namespace GentooImage.Engine.Platform;

/// <summary>
/// Starts every child process of the module so that it cannot outlive this process: the child runs
/// under <c>setpriv --pdeathsig KILL</c> (util-linux), so the kernel sends it SIGKILL when its
/// parent dies, even when pwsh itself is killed with SIGKILL.
/// </summary>
/// <remarks>
/// PR_SET_PDEATHSIG fires when the parent <em>thread</em> ends, not the parent process, and .NET
/// retires idle thread-pool threads. So all children are forked from one dedicated thread that
/// lives as long as the process (a test starts a child from a thread that then ends and checks that
/// the child lives on). A child that forks again (unshare, mkfs) passes nothing on: unshare
/// --kill-child and the PID namespace take care of the chroot's processes.
/// </remarks>
public static class ChildLauncher
{
    private static readonly BlockingCollection<(Func<Process> Start, TaskCompletionSource<Process> Done)> s_queue = new();
    private static readonly Lazy<Thread> s_thread = new(() =>
    {
        var t = new Thread(Loop) { IsBackground = true, Name = "GentooImage child launcher" };
        t.Start();
        return t;
    });

    /// <summary>The managed thread id that forks the children (for tests).</summary>
    public static int LauncherThreadId => s_thread.Value.ManagedThreadId;

    /// <summary>
    /// Rewrites <paramref name="info"/> to run its program under <c>setpriv --pdeathsig KILL --</c>
    /// (the process id stays the program's: setpriv execs it).
    /// </summary>
    public static void Wrap(ProcessStartInfo info)
    {
        var setpriv = ToolLocator.Require("setpriv");
        if (string.Equals(info.FileName, setpriv, StringComparison.Ordinal))
        {
            return;
        }

        var original = info.FileName;
        if (!string.IsNullOrEmpty(info.Arguments))
        {
            // The single-string form (never used by the engine, which passes argument vectors).
            info.FileName = setpriv;
            info.Arguments = "--pdeathsig KILL -- \"" + original.Replace("\"", "\\\"", StringComparison.Ordinal) + "\" " + info.Arguments;
            return;
        }

        var args = info.ArgumentList.ToList();
        info.FileName = setpriv;
        info.ArgumentList.Clear();
        foreach (var a in new[] { "--pdeathsig", "KILL", "--", original }.Concat(args))
        {
            info.ArgumentList.Add(a);
        }
    }

    /// <summary>Starts <paramref name="info"/> (wrapped, see <see cref="Wrap"/>) from the launcher thread.</summary>
    public static Process Start(ProcessStartInfo info)
    {
        Wrap(info);
        return OnLauncherThread(() => Process.Start(info) ?? throw new InvalidOperationException($"'{info.FileName}' did not start."));
    }

    /// <summary>Starts an already set-up <see cref="Process"/> (events attached; wrapped, see <see cref="Wrap"/>) from the launcher thread.</summary>
    public static void Start(Process process)
    {
        Wrap(process.StartInfo);
        OnLauncherThread(() =>
        {
            process.Start();
            return process;
        });
    }

    private static Process OnLauncherThread(Func<Process> start)
    {
        var done = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = s_thread.Value;
        s_queue.Add((start, done));
        return done.Task.GetAwaiter().GetResult();
    }

    private static void Loop()
    {
        foreach (var (start, done) in s_queue.GetConsumingEnumerable())
        {
            try
            {
                done.SetResult(start());
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        }
    }
}
