using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Tests;

/// <summary>
/// A real SIGHUP to this test process while an operation is registered: it must cancel the
/// operation (not end the process), and the exit comes only after the operation has left.
/// </summary>
public class SignalCancellationTests
{
    /// <summary>
    /// SIGHUP, unless this process started with it ignored (a suite run under nohup: an ignored signal
    /// stays ignored across exec, and the module leaves it so, as nohup asks); then SIGTERM.
    /// </summary>
    private static readonly int Signal = HangupIgnoredAtStart() ? 15 : 1;

    private static string SignalName => Signal == 1 ? "SIGHUP" : "SIGTERM";

    private static bool HangupIgnoredAtStart()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & 1) != 0;
    }

    [Fact]
    public async Task ASignalDuringAnOperationCancelsItAndExitsAfterItsCleanup()
    {
        var exited = new TaskCompletionSource<int>();
        var previous = SignalCancellation.ExitProcess;
        SignalCancellation.ExitProcess = code => exited.TrySetResult(code);
        try
        {
            using var cts = new CancellationTokenSource();
            var scope = SignalCancellation.Enter(cts);
            try
            {
                Assert.Equal(0, LibC.Kill(Environment.ProcessId, Signal));
                Assert.True(cts.Token.WaitHandle.WaitOne(5000), $"{SignalName} did not cancel the operation");
                Assert.Equal(Signal, SignalCancellation.ReceivedSignal);

                // Still cleaning up: the process must not end yet, and no new operation may start.
                Assert.NotSame(exited.Task, await Task.WhenAny(exited.Task, Task.Delay(1000)));
                var refused = Assert.Throws<GentooImageException>(() => SignalCancellation.Enter(new CancellationTokenSource()));
                Assert.Equal(ErrorKind.OperationCancelled, refused.Kind);
                Assert.Contains(SignalName, refused.Message);
            }
            finally
            {
                scope.Dispose();
            }

            Assert.Same(exited.Task, await Task.WhenAny(exited.Task, Task.Delay(5000)));
            Assert.Equal(128 + Signal, await exited.Task);
        }
        finally
        {
            SignalCancellation.ExitProcess = previous;
            SignalCancellation.ResetForTests();
        }
    }
}
