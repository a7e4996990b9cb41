namespace GentooImage.Engine.Platform;

/// <summary>How a process ended.</summary>
public sealed record ProcessResult(
    ProcessSpec Spec,
    int ExitCode,
    string StandardOutput,
    string StandardError,
    TimeSpan Duration,
    bool TimedOut)
{
    public bool Succeeded => ExitCode == 0 && !TimedOut;

    /// <summary>Throws <see cref="ErrorKind.ToolFailed"/> (or the given kind) unless the process succeeded.</summary>
    public ProcessResult EnsureSuccess(ErrorKind kind = ErrorKind.ToolFailed, string? what = null)
    {
        if (Succeeded)
        {
            return this;
        }

        var tail = string.Join('\n', StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(10));
        var why = TimedOut ? "timed out" : $"exited with code {ExitCode}";
        throw new GentooImageException(
            kind,
            $"{what ?? Spec.FileName} failed: `{Spec.Display}` {why}.{(tail.Length > 0 ? "\n" + tail : string.Empty)}",
            Spec.FileName);
    }
}
