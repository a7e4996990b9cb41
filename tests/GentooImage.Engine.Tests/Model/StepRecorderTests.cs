using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Tests.Model;

/// <summary>One recorder for every stage's History entry, with one rule for Cancelled versus Failed.</summary>
public sealed class StepRecorderTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "gi-steps-" + Guid.NewGuid().ToString("N")[..8]);

    public StepRecorderTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<Exception, bool> Errors() => new()
    {
        { new OperationCanceledException(), true },
        { new TaskCanceledException(), true },
        { OperationContext.Cancelled("writing the image"), true },
        { new GentooImageException(ErrorKind.ImageBuildFailed, "mkfs failed"), false },
        { new IOException("disk full"), false },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void CancellationExceptionsAreCancelledEverythingElseFailed(Exception error, bool cancelled) =>
        Assert.Equal(cancelled ? StepOutcome.Cancelled : StepOutcome.Failed, StepRecorder.OutcomeOf(error));

    [Fact]
    public void AnyErrorOnceTheTokenIsCancelledIsCancelled()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.Equal(StepOutcome.Cancelled, StepRecorder.OutcomeOf(new IOException("killed child"), cts.Token));
    }

    [Fact]
    public void SuccessIsRecordedOnceAndSaved()
    {
        var root = new BuildRoot(_dir);
        var step = StepRecorder.Start(root, "New-RawDiskImage", OperationContext.None);
        step.Succeeded("done", new Dictionary<string, string> { ["Path"] = "/x.img" });
        step.Failed(new IOException("late")); // a second finish is ignored

        var entry = Assert.Single(root.History);
        Assert.Equal(("New-RawDiskImage", StepOutcome.Succeeded, "done", "/x.img"), (entry.Step, entry.Outcome, entry.Detail, entry.Data["Path"]));
        Assert.Equal(StepOutcome.Succeeded, Assert.Single(BuildRootStore.Load(_dir).History).Outcome);
    }

    [Fact]
    public void AFailureKeepsTheFirstLineAndAStateThatCannotBeSavedOnlyWarns()
    {
        var root = new BuildRoot(_dir);
        var stateDir = Path.GetDirectoryName(BuildRootStore.StatePathFor(_dir))!;
        Directory.CreateDirectory(stateDir);
        var warnings = new List<string>();
        var step = StepRecorder.Start(root, "Mount-BuildFilesystems", new OperationContext(warning: warnings.Add));

        // A file where the state's directory belongs, so the save fails (also for root, who ignores modes).
        Directory.Delete(stateDir);
        File.WriteAllText(stateDir, "not a directory");

        step.Failed(new GentooImageException(ErrorKind.MountFailed, "first line\nsecond line"));

        var entry = Assert.Single(root.History);
        Assert.Equal((StepOutcome.Failed, "first line"), (entry.Outcome, entry.Detail));
        Assert.Single(warnings);
    }

    [Fact]
    public void NoRootRecordsNothing()
    {
        var step = StepRecorder.Start(null, "New-RawDiskImage", OperationContext.None);
        step.Succeeded("done");
        step.Failed(new IOException("x"));
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }
}
