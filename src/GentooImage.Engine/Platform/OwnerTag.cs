using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace GentooImage.Engine.Platform;

/// <summary>
/// Names that say which process made a temporary thing: <c>o&lt;pid&gt;_&lt;start time&gt;</c>, the
/// start time being field 22 of <c>/proc/&lt;pid&gt;/stat</c> (clock ticks after boot), so a reused pid
/// is never taken for the owner. A later run removes what a dead owner left (<see cref="Leftovers"/>).
/// </summary>
public static partial class OwnerTag
{
    private static readonly Lazy<string> s_current = new(() =>
        Format(Environment.ProcessId, StartTimeOf(Environment.ProcessId) ?? 0));

    /// <summary>
    /// The regular expression (text) of the owned part of a name made by <see cref="UniqueName"/>:
    /// the tag and its 8 random hex digits. Use <see cref="Leftovers.PatternFor"/> for a whole name.
    /// </summary>
    public const string Pattern = "o[0-9]+_[0-9]+-[0-9a-f]{8}";

    /// <summary>This process's tag, e.g. <c>o4242_1234567</c>.</summary>
    public static string Current => s_current.Value;

    public static string Format(int pid, ulong startTime) =>
        string.Create(CultureInfo.InvariantCulture, $"o{pid}_{startTime}");

    /// <summary>A unique owned name: <c>&lt;prefix&gt;&lt;tag&gt;-&lt;8 hex&gt;&lt;suffix&gt;</c>.</summary>
    public static string UniqueName(string prefix, string suffix = "") =>
        prefix + Current + "-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant() + suffix;

    /// <summary>Finds the owner tag in a name made by <see cref="UniqueName"/>.</summary>
    public static bool TryParse(string name, out int pid, out ulong startTime)
    {
        pid = 0;
        startTime = 0;
        var m = TagPattern().Match(name);
        return m.Success
            && int.TryParse(m.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out pid)
            && pid > 0
            && ulong.TryParse(m.Groups[2].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out startTime);
    }

    /// <summary>True while the process <paramref name="pid"/> that started at <paramref name="startTime"/> runs.</summary>
    public static bool IsAlive(int pid, ulong startTime) => StartTimeOf(pid) == startTime;

    /// <summary>Start time of a process (field 22 of /proc/pid/stat), or null when there is no such process.</summary>
    public static ulong? StartTimeOf(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/stat"));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        return ParseStartTime(stat);
    }

    /// <summary>Field 22 of a /proc/pid/stat line. The command (field 2) may hold spaces and ')', so fields are counted after the last ')'.</summary>
    public static ulong? ParseStartTime(string stat)
    {
        var close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        // After ") " come fields 3, 4, ...: field 22 is the 20th of them.
        var rest = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return rest.Length >= 20 && ulong.TryParse(rest[19], NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;
    }

    [GeneratedRegex(@"(?<![0-9A-Za-z])o([0-9]{1,10})_([0-9]{1,20})-[0-9a-f]{8}(?![0-9a-f])")]
    private static partial Regex TagPattern();
}
