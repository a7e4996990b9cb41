namespace GentooImage.Engine.Model;

/// <summary>One step run on a build root.</summary>
public sealed record HistoryEntry
{
    /// <summary>The step, named as the cmdlet that ran it (e.g. "Invoke-GentooChroot").</summary>
    public required string Step { get; init; }

    public DateTimeOffset Start { get; init; }

    public TimeSpan Duration { get; init; }

    public StepOutcome Outcome { get; init; }

    /// <summary>One line that says what happened.</summary>
    public string? Detail { get; init; }

    /// <summary>Step-specific facts (script digest, exit code, log path, ...).</summary>
    public IReadOnlyDictionary<string, string> Data { get; init; } = new Dictionary<string, string>();

    public override string ToString() => $"{Start:u} {Step} {Outcome} ({Duration.TotalSeconds:0.0}s){(Detail is null ? string.Empty : ": " + Detail)}";
}
