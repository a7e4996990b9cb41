namespace GentooImage.Engine.Model;

/// <summary>One static check of a disk image.</summary>
/// <param name="Name">Stable name of the check, e.g. "RootFilesystemClean".</param>
/// <param name="Passed">Whether it passed.</param>
/// <param name="Detail">What was found (or why it failed).</param>
public sealed record ImageCheck(string Name, bool Passed, string Detail)
{
    public override string ToString() => $"{(Passed ? "PASS" : "FAIL")} {Name}: {Detail}";
}
