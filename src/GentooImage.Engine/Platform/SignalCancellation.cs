using System.Globalization;
using System.Runtime.InteropServices;

namespace GentooImage.Engine.Platform;

/// <summary>
/// Makes SIGTERM and SIGHUP (and SIGINT when there is no terminal) do what Ctrl+C does to a running
/// GentooImage operation: cancel it and let it clean up; then the process ends as a signalled one
/// would, with exit code 128 + the signal number. Registered once per process; while no operation
/// runs, every signal keeps its default behaviour.
/// </summary>
/// <remarks>
/// With a terminal on stdin, SIGINT is the user's Ctrl+C and stays pwsh's (it stops the pipeline,
/// which cancels the operation, and pwsh goes on). Without one (pwsh -File from cron, CI,
/// systemd, a background job), SIGINT is a request to stop, like SIGTERM. A background job of a
/// non-interactive shell starts with SIGINT ignored, and .NET then never installs its handler; so
/// while an operation runs, SIGINT gets the runtime's handler (the one it uses for SIGTERM), and the
/// ignored state comes back when the last operation ends.
/// </remarks>
public static class SignalCancellation
{
    /// <summary>How long a signalled process waits for the operations' cleanup before it exits anyway.</summary>
    public static readonly TimeSpan CleanupTimeout = TimeSpan.FromSeconds(30);

    /// <summary>After the last operation ended, time for the host to show its error before the process exits.</summary>
    private static readonly TimeSpan s_grace = TimeSpan.FromMilliseconds(500);

    private const int SigHup = 1;
    private const int SigInt = 2;
    private const int SigTerm = 15;

    private static readonly object s_lock = new();
    private static readonly List<CancellationTokenSource> s_running = new();
    private static readonly ManualResetEventSlim s_idle = new(true);
    private static List<PosixSignalRegistration>? s_registrations;
    private static bool s_sigintIgnoredAtStart;
    private static byte[]? s_savedSigint;
    private static int s_signal;

    /// <summary>How the process ends after a handled signal (replaced by tests).</summary>
    internal static Action<int> ExitProcess { get; set; } = code => Environment.Exit(code);

    /// <summary>Forgets a handled signal (tests that signal their own process).</summary>
    internal static void ResetForTests() => Volatile.Write(ref s_signal, 0);

    /// <summary>The signal number that stopped the operations, or 0.</summary>
    public static int ReceivedSignal => Volatile.Read(ref s_signal);

    /// <summary>"SIGTERM" for 15 etc.</summary>
    public static string SignalName(int signo) => signo switch
    {
        SigHup => "SIGHUP",
        SigInt => "SIGINT",
        SigTerm => "SIGTERM",
        _ => "signal " + signo.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>True when SIGINT is taken as a request to stop (no terminal on stdin).</summary>
    public static bool HandlesSigint => LibC.IsATty(0) != 1;

    /// <summary>
    /// Registers a running operation: a handled signal cancels <paramref name="cancellation"/>.
    /// Dispose when the operation (and its cleanup) ended. After a signal no new operation starts:
    /// this throws <see cref="ErrorKind.OperationCancelled"/>.
    /// </summary>
    public static IDisposable Enter(CancellationTokenSource cancellation)
    {
        lock (s_lock)
        {
            if (ReceivedSignal != 0)
            {
                throw Cancelled(ReceivedSignal);
            }

            EnsureRegistered();
            s_running.Add(cancellation);
            if (s_running.Count == 1)
            {
                s_idle.Reset();
                RouteSigint(true);
            }
        }

        return new Registration(cancellation);
    }

    /// <summary>The error a signalled operation ends with.</summary>
    public static GentooImageException Cancelled(int signo, Exception? inner = null) =>
        new(ErrorKind.OperationCancelled,
            $"The operation was cancelled by {SignalName(signo)}; what it had started was cleaned up, and the process ends (exit code {128 + signo}).",
            null,
            inner);

    private static void Leave(CancellationTokenSource cancellation)
    {
        lock (s_lock)
        {
            if (s_running.Remove(cancellation) && s_running.Count == 0)
            {
                RouteSigint(false);
                s_idle.Set();
            }
        }
    }

    private static void EnsureRegistered()
    {
        if (s_registrations is not null)
        {
            return;
        }

        s_sigintIgnoredAtStart = SigintIgnored();
        s_registrations = new List<PosixSignalRegistration>
        {
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
        };
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            // pwsh may end on its own (it stops a -File script on SIGINT): cleanup first, and the
            // exit code still says which signal ended the process.
            if (ReceivedSignal != 0)
            {
                s_idle.Wait(CleanupTimeout);
                Environment.ExitCode = 128 + ReceivedSignal;
            }
        };
    }

    private static void OnSignal(PosixSignalContext context)
    {
        var signo = context.Signal switch
        {
            PosixSignal.SIGHUP => SigHup,
            PosixSignal.SIGINT => SigInt,
            PosixSignal.SIGTERM => SigTerm,
            _ => 0,
        };
        CancellationTokenSource[] running;
        lock (s_lock)
        {
            if (signo == 0 || s_running.Count == 0 || (signo == SigInt && !HandlesSigint))
            {
                return; // default behaviour (or pwsh's own Ctrl+C handling)
            }

            context.Cancel = true;
            running = s_running.ToArray();
            if (Interlocked.CompareExchange(ref s_signal, signo, 0) == 0)
            {
                new Thread(() => ExitAfterCleanup(signo)) { IsBackground = true, Name = "GentooImage signal exit" }.Start();
            }
        }

        foreach (var cts in running)
        {
            try
            {
                cts.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Ended meanwhile.
            }
        }
    }

    /// <summary>
    /// For the thread of an operation that a signal cancelled, once its error is written: leaves
    /// the registration (so the exit can proceed) and waits for the process to end, so that the
    /// script never runs on to its next statement. Returns only if the exit did not come.
    /// </summary>
    public static void AwaitExit(IDisposable registration)
    {
        registration.Dispose();
        Thread.Sleep(CleanupTimeout + s_grace + TimeSpan.FromSeconds(5));
    }

    private static void ExitAfterCleanup(int signo)
    {
        s_idle.Wait(CleanupTimeout);
        Thread.Sleep(s_grace);
        try
        {
            Console.Out.Flush();
            Console.Error.Flush();
        }
        catch (IOException)
        {
        }

        ExitProcess(128 + signo);
    }

    /// <summary>Gives SIGINT the runtime's handler while operations run, when it was ignored at start.</summary>
    private static void RouteSigint(bool on)
    {
        if (!s_sigintIgnoredAtStart || !HandlesSigint)
        {
            return;
        }

        if (on)
        {
            var runtime = new byte[LibC.SigactionSize];
            var old = new byte[LibC.SigactionSize];
            if (LibC.SigAction(SigTerm, null, runtime) == 0 && LibC.SigAction(SigInt, runtime, old) == 0)
            {
                s_savedSigint = old;
            }
        }
        else if (s_savedSigint is { } saved)
        {
            LibC.SigAction(SigInt, saved, null);
            s_savedSigint = null;
        }
    }

    private static bool SigintIgnored()
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
            return line is not null
                && ulong.TryParse(line["SigIgn:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var mask)
                && (mask & (1UL << (SigInt - 1))) != 0;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private sealed class Registration : IDisposable
    {
        private CancellationTokenSource? _cancellation;

        public Registration(CancellationTokenSource cancellation) => _cancellation = cancellation;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _cancellation, null) is { } c)
            {
                Leave(c);
            }
        }
    }
}
