namespace GentooImage.Engine.Platform;

/// <summary>One progress update from a long engine operation (maps to Write-Progress).</summary>
/// <param name="Activity">What the whole operation is, e.g. "Extracting stage3".</param>
/// <param name="Status">What is happening now, e.g. "usr/lib64/libc.so.6".</param>
/// <param name="PercentComplete">0..100, or -1 when unknown.</param>
/// <param name="ActivityId">Distinguishes nested activities (0 for the main one).</param>
/// <param name="Completed">True for the final record of an activity.</param>
public sealed record ProgressReport(
    string Activity,
    string Status,
    int PercentComplete = -1,
    int ActivityId = 0,
    bool Completed = false);
