using GentooImage.Engine.Chroot;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Tests.Chroot;

/// <summary>
/// What Invoke-GentooChroot records in History when the script fails or is cancelled, with a fake
/// <see cref="IProcessRunner"/> (nothing runs in a chroot): the step recorder's one rule.
/// </summary>
public sealed class GentooChrootHistoryTests : IDisposable
{
    private readonly MountedRoot _root = new(withBash: false);

    public void Dispose() => _root.Dispose();

    [Fact]
    public void ANonZeroExitIsFailedACancelledRunIsCancelledAndTheScriptIsGone()
    {
        var options = new ChrootOptions { Script = "true", AllowUnmounted = true };

        var failed = Assert.Throws<GentooImageException>(() =>
            GentooChroot.Invoke(_root.Root, options, OperationContext.None, new FakeRunner(_ => new ProcessResult(_, 3, string.Empty, string.Empty, TimeSpan.Zero, false))));
        Assert.Equal(ErrorKind.ChrootScriptFailed, failed.Kind);
        var entry = _root.Root.History[^1];
        Assert.Equal((StepOutcome.Failed, "exit code 3", "3"), (entry.Outcome, entry.Detail, entry.Data["ExitCode"]));

        var cancelled = Assert.Throws<GentooImageException>(() =>
            GentooChroot.Invoke(_root.Root, options, OperationContext.None, new FakeRunner(_ => throw OperationContext.Cancelled("running the script"))));
        Assert.Equal(ErrorKind.OperationCancelled, cancelled.Kind);
        Assert.Equal(StepOutcome.Cancelled, _root.Root.History[^1].Outcome);
        Assert.Equal(2, BuildRootStore.Load(_root.Path).History.Count);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_root.Path, "var/tmp"), "gentooimage-*"));
    }

    private sealed class FakeRunner : IProcessRunner
    {
        private readonly Func<ProcessSpec, ProcessResult> _answer;

        public FakeRunner(Func<ProcessSpec, ProcessResult> answer) => _answer = answer;

        public Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken cancellation = default) => Task.FromResult(_answer(spec));
    }
}
