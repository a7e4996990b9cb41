namespace GentooImage.Engine.Guest;

/// <summary>The changes Initialize-CloudGuest would make to a root, computed without touching it.</summary>
public sealed class GuestPlan
{
    public GuestPlan(string rootPath, InitSystem initSystem, bool initSystemDetected, IReadOnlyList<GuestChange> changes, IReadOnlyList<string> notes)
    {
        RootPath = rootPath;
        InitSystem = initSystem;
        InitSystemDetected = initSystemDetected;
        Changes = changes;
        Notes = notes;
    }

    public string RootPath { get; }

    public InitSystem InitSystem { get; }

    /// <summary>True when the init system was detected rather than given.</summary>
    public bool InitSystemDetected { get; }

    /// <summary>The changes, in the order they are applied. Changes already in effect are left out.</summary>
    public IReadOnlyList<GuestChange> Changes { get; }

    /// <summary>What the plan decided not to do and why ("sshd is not installed: SSH left alone").</summary>
    public IReadOnlyList<string> Notes { get; }

    public override string ToString() => $"{RootPath} ({InitSystem}): {Changes.Count} change(s)";
}
