using System.Diagnostics;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Model;

/// <summary>
/// Records one step in a build root's History: started when it is created, finished once as
/// succeeded, failed or cancelled, and saved with the root's state. The one rule for Cancelled
/// versus Failed is <see cref="OutcomeOf"/>. A failure is saved guarded: when the state cannot be
/// written either, the original error is the one the caller sees (the save error goes to the
/// optional warning sink). With no root (a plain directory given to New-RawDiskImage -RootPath)
/// nothing is recorded.
/// </summary>
public sealed class StepRecorder
{
    private readonly BuildRoot? _root;
    private readonly string _step;
    private readonly Action<string>? _warning;
    private readonly CancellationToken _cancellation;
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private bool _finished;

    private StepRecorder(BuildRoot? root, string step, CancellationToken cancellation, Action<string>? warning)
    {
        _root = root;
        _step = step;
        _cancellation = cancellation;
        _warning = warning;
        Started = DateTimeOffset.Now;
    }

    /// <summary>When the step started.</summary>
    public DateTimeOffset Started { get; }

    /// <summary>How long the step has run.</summary>
    public TimeSpan Elapsed => _watch.Elapsed;

    /// <summary>
    /// Starts recording <paramref name="step"/> (named as the cmdlet, e.g. "New-RawDiskImage") on
    /// <paramref name="root"/> (null: record nothing) for the operation <paramref name="ctx"/>: a
    /// failure while its token is cancelled counts as cancelled, and a state that cannot be saved
    /// after a failure is reported on its warning stream.
    /// </summary>
    public static StepRecorder Start(BuildRoot? root, string step, OperationContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        return new(root, step, ctx.Cancellation, ctx.Warning);
    }

    /// <summary>
    /// The one rule: an <see cref="OperationCanceledException"/>, a <see cref="GentooImageException"/>
    /// of kind <see cref="ErrorKind.OperationCancelled"/>, or any error once the operation's token
    /// is cancelled (a killed child surfaces as an ordinary failure) means Cancelled; anything else
    /// means Failed.
    /// </summary>
    public static StepOutcome OutcomeOf(Exception error, CancellationToken cancellation = default) =>
        error is OperationCanceledException or GentooImageException { Kind: ErrorKind.OperationCancelled } || cancellation.IsCancellationRequested
            ? StepOutcome.Cancelled
            : StepOutcome.Failed;

    /// <summary>Records success and saves the state (a save error is thrown: the step's result would be lost).</summary>
    public void Succeeded(string? detail, IReadOnlyDictionary<string, string>? data = null) =>
        Finish(StepOutcome.Succeeded, detail, data);

    /// <summary>
    /// Records <paramref name="error"/> as Failed or Cancelled (<see cref="OutcomeOf"/>) and saves the
    /// state guarded. <paramref name="detail"/> defaults to <see cref="DetailOf"/>.
    /// </summary>
    public void Failed(Exception error, string? detail = null, IReadOnlyDictionary<string, string>? data = null)
    {
        ArgumentNullException.ThrowIfNull(error);
        Finish(OutcomeOf(error, _cancellation), detail ?? DetailOf(error), data);
    }

    /// <summary>What History says of an error by default: the first line of its message (for callers that add to it).</summary>
    public static string DetailOf(Exception error) => error.Message.Split('\n')[0];

    /// <summary>
    /// Records an outcome the caller decided (a step that completes but reports failure, e.g. a
    /// kernel option that does not hold). Only success saves unguarded, unless
    /// <paramref name="guardSave"/> says otherwise (a step whose work is done and cannot be undone,
    /// such as a chroot script that ran, only warns when its state cannot be saved).
    /// </summary>
    public void Finish(StepOutcome outcome, string? detail, IReadOnlyDictionary<string, string>? data = null, bool? guardSave = null)
    {
        if (_root is null || _finished)
        {
            return;
        }

        _finished = true;
        _root.AddHistory(new HistoryEntry
        {
            Step = _step,
            Start = Started,
            Duration = _watch.Elapsed,
            Outcome = outcome,
            Detail = detail,
            Data = data ?? new Dictionary<string, string>(),
        });
        if (!(guardSave ?? outcome != StepOutcome.Succeeded))
        {
            BuildRootStore.Save(_root);
            return;
        }

        try
        {
            BuildRootStore.Save(_root);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or GentooImageException)
        {
            // The step's own error matters more; the state could not be saved either.
            _warning?.Invoke($"Could not save the state of '{_root.Path}': {ex.Message}");
        }
    }
}
