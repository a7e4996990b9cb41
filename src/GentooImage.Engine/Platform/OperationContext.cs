namespace GentooImage.Engine.Platform;

/// <summary>
/// What every long engine operation receives: cancellation, and sinks for progress and for the
/// messages a PowerShell host shows on its verbose, warning and information streams. The engine
/// never touches PowerShell; the cmdlet layer supplies sinks that marshal onto the pipeline thread.
/// </summary>
public sealed class OperationContext
{
    /// <summary>A context that reports nowhere and cannot be cancelled (tests, scripts).</summary>
    public static OperationContext None => new();

    public OperationContext(
        CancellationToken cancellation = default,
        IProgress<ProgressReport>? progress = null,
        Action<string>? verbose = null,
        Action<string>? warning = null,
        Action<string, string>? information = null)
    {
        Cancellation = cancellation;
        Progress = progress;
        _verbose = verbose;
        _warning = warning;
        _information = information;
    }

    private readonly Action<string>? _verbose;
    private readonly Action<string>? _warning;
    private readonly Action<string, string>? _information;

    public CancellationToken Cancellation { get; }

    public IProgress<ProgressReport>? Progress { get; }

    public void Report(ProgressReport report) => Progress?.Report(report);

    public void Verbose(string message) => _verbose?.Invoke(message);

    public void Warning(string message) => _warning?.Invoke(message);

    /// <summary>A line for the information stream, with a tag such as "stdout" or "stderr".</summary>
    public void Information(string message, string tag) => _information?.Invoke(message, tag);

    /// <summary>Throws <see cref="GentooImageException"/> with <see cref="ErrorKind.OperationCancelled"/> when cancelled.</summary>
    public void ThrowIfCancelled(string? what = null)
    {
        if (Cancellation.IsCancellationRequested)
        {
            throw Cancelled(what);
        }
    }

    public static GentooImageException Cancelled(string? what = null, Exception? inner = null) =>
        new(ErrorKind.OperationCancelled,
            what is null ? "The operation was cancelled." : $"The operation was cancelled: {what}.",
            null,
            inner);
}
