using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Tests;

/// <summary>
/// A real SIGHUP to this test process while an operation is registered: it must cancel the
/// operation (not end the process), and the exit comes only after the operation has left.
/// </summary>
public class SignalCancellationTests
{
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
                Assert.Equal(0, LibC.Kill(Environment.ProcessId, 1)); // SIGHUP
                Assert.True(cts.Token.WaitHandle.WaitOne(5000), "SIGHUP did not cancel the operation");
                Assert.Equal(1, SignalCancellation.ReceivedSignal);

                // Still cleaning up: the process must not end yet, and no new operation may start.
                Assert.NotSame(exited.Task, await Task.WhenAny(exited.Task, Task.Delay(1000)));
                var refused = Assert.Throws<GentooImageException>(() => SignalCancellation.Enter(new CancellationTokenSource()));
                Assert.Equal(ErrorKind.OperationCancelled, refused.Kind);
                Assert.Contains("SIGHUP", refused.Message);
            }
            finally
            {
                scope.Dispose();
            }

            Assert.Same(exited.Task, await Task.WhenAny(exited.Task, Task.Delay(5000)));
            Assert.Equal(129, await exited.Task);
        }
        finally
        {
            SignalCancellation.ExitProcess = previous;
            SignalCancellation.ResetForTests();
        }
    }
}
