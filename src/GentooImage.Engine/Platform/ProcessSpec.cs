namespace GentooImage.Engine.Platform;

/// <summary>
/// A process to run: an executable and an argument vector (never a shell command line), plus what
/// to do with its environment and output.
/// </summary>
public sealed record ProcessSpec(string FileName, IReadOnlyList<string> Arguments)
{
    public ProcessSpec(string fileName, params string[] arguments)
        : this(fileName, (IReadOnlyList<string>)arguments)
    {
    }

    /// <summary>Variables to set (a null value removes the variable).</summary>
    public IReadOnlyDictionary<string, string?>? Environment { get; init; }

    /// <summary>Start from an empty environment instead of the host's.</summary>
    public bool ClearEnvironment { get; init; }

    public string? WorkingDirectory { get; init; }

    /// <summary>Text written to standard input, which is then closed. Null: stdin is closed at once.</summary>
    public string? StandardInput { get; init; }

    /// <summary>
    /// Streams standard input instead of <see cref="StandardInput"/>: called with the process's stdin,
    /// which is closed when it returns. If it throws, the process tree is killed and the exception rethrown.
    /// </summary>
    public Func<Stream, CancellationToken, Task>? StandardInputWriter { get; init; }

    /// <summary>
    /// Reads standard output as a byte stream instead of as lines (for pipelines such as xz | tar).
    /// If it throws, the process tree is killed and the exception rethrown.
    /// </summary>
    public Func<Stream, CancellationToken, Task>? StandardOutputReader { get; init; }

    /// <summary>Called for every stdout line as it arrives.</summary>
    public Action<string>? OnStdout { get; init; }

    /// <summary>Called for every stderr line as it arrives.</summary>
    public Action<string>? OnStderr { get; init; }

    /// <summary>Keep the output in <see cref="ProcessResult"/> (off for huge streams).</summary>
    public bool CaptureOutput { get; init; } = true;

    /// <summary>Kill the process tree after this long; the result then has <see cref="ProcessResult.TimedOut"/>.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>The command line for messages and logs, quoted for reading, never for a shell.</summary>
    public string Display =>
        string.Join(' ', new[] { FileName }.Concat(Arguments).Select(Quote));

    private static string Quote(string s) =>
        s.Length > 0 && s.All(c => char.IsLetterOrDigit(c) || "-_./=:,+@%".Contains(c))
            ? s
            : "'" + s.Replace("'", "'\\''") + "'";
}
