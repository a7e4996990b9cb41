using System.Text.RegularExpressions;
using GentooImage.Engine.Platform;

namespace GentooImage.TestSupport;

/// <summary>
/// Progress of a kernel build from make's own output: kbuild prints one line per step
/// ("  CC      kernel/fork.o"); the compiled objects are counted against the count of the last
/// build (or an estimate) and the elapsed time against the expected one.
/// </summary>
public sealed partial class KernelBuildProgress
{
    public const string Activity = "Building the test kernel (linux-source-6.1)";

    private readonly DateTime _start;

    public KernelBuildProgress(int expectedObjects, TimeSpan expectedTime, DateTime start)
    {
        ExpectedObjects = Math.Max(1, expectedObjects);
        ExpectedTime = expectedTime;
        _start = start;
    }

    /// <summary>Objects a build of this tree compiles (from the last build, else an estimate).</summary>
    public int ExpectedObjects { get; }

    public TimeSpan ExpectedTime { get; }

    /// <summary>Objects compiled so far (CC and AS lines that produce a .o).</summary>
    public int Objects { get; private set; }

    /// <summary>The last kbuild step seen, e.g. "CC kernel/fork.o".</summary>
    public string? LastStep { get; private set; }

    /// <summary>Takes one line of make's output; true when it was a kbuild step.</summary>
    public bool Observe(string line)
    {
        var m = StepPattern().Match(line);
        if (!m.Success)
        {
            return false;
        }

        LastStep = $"{m.Groups["cmd"].Value} {m.Groups["target"].Value}";
        if (m.Groups["cmd"].Value is "CC" or "AS" && m.Groups["target"].Value.EndsWith(".o", StringComparison.Ordinal))
        {
            Objects++;
        }

        return true;
    }

    /// <summary>The progress now: objects of expected, elapsed of expected time.</summary>
    public ProgressReport Report(DateTime now)
    {
        var elapsed = now - _start;
        var percent = (int)Math.Min(99, Objects * 100L / ExpectedObjects);
        return new ProgressReport(
            Activity,
            $"{Objects} of about {ExpectedObjects} objects compiled, {ProgressHeartbeat.Elapsed(elapsed)} of about {ProgressHeartbeat.Elapsed(ExpectedTime)}{(LastStep is null ? string.Empty : $" ({LastStep})")}",
            percent);
    }

    [GeneratedRegex(@"^\s{2}(?<cmd>[A-Z][A-Z0-9_]*)(?: \[M\])?\s+(?<target>\S+)\s*$")]
    private static partial Regex StepPattern();
}
