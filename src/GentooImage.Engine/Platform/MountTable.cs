using System.Text;

namespace GentooImage.Engine.Platform;

/// <summary>Reads and parses /proc/self/mountinfo (see proc(5)).</summary>
public static class MountTable
{
    public const string DefaultPath = "/proc/self/mountinfo";

    public static IReadOnlyList<MountEntry> Read(string path = DefaultPath) =>
        Parse(File.ReadAllText(path));

    public static IReadOnlyList<MountEntry> Parse(string text)
    {
        var list = new List<MountEntry>();
        foreach (var raw in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            list.Add(ParseLine(raw));
        }

        return list;
    }

    /// <summary>
    /// Mounts at or below <paramref name="root"/>, deepest first (the order to unmount them in).
    /// mountinfo holds canonical paths, so <paramref name="root"/> must be canonical too (what
    /// BuildRootGuard.Demand or PathInRoot.Resolve return); it is not resolved again here.
    /// </summary>
    public static IReadOnlyList<MountEntry> Below(IEnumerable<MountEntry> table, string root)
    {
        var prefix = root.TrimEnd('/');
        return table
            .Where(m => m.MountPoint == prefix || m.MountPoint.StartsWith(prefix + "/", StringComparison.Ordinal))
            .Select((m, i) => (m, i))
            .OrderByDescending(t => t.m.MountPoint.Count(c => c == '/'))
            .ThenByDescending(t => t.i)
            .Select(t => t.m)
            .ToList();
    }

    internal static MountEntry ParseLine(string line)
    {
        // 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
        var sep = line.IndexOf(" - ", StringComparison.Ordinal);
        if (sep < 0)
        {
            throw new FormatException($"Not a mountinfo line: '{line}'.");
        }

        var left = line[..sep].Split(' ');
        var right = line[(sep + 3)..].Split(' ');
        if (left.Length < 6 || right.Length < 3)
        {
            throw new FormatException($"Not a mountinfo line: '{line}'.");
        }

        return new MountEntry(
            int.Parse(left[0], System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(left[1], System.Globalization.CultureInfo.InvariantCulture),
            left[2],
            Unescape(left[3]),
            Unescape(left[4]),
            left[5],
            string.Join(' ', left.Skip(6)),
            right[0],
            Unescape(right[1]),
            right[2]);
    }

    /// <summary>mountinfo escapes space, tab, newline and backslash as \ooo octal.</summary>
    internal static string Unescape(string s)
    {
        if (!s.Contains('\\'))
        {
            return s;
        }

        var sb = new StringBuilder(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && IsOctal(s, i + 1))
            {
                sb.Append((char)Convert.ToInt32(s.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                sb.Append(s[i]);
            }
        }

        return sb.ToString();
    }

    private static bool IsOctal(string s, int start) =>
        start + 3 <= s.Length && s.Substring(start, 3).All(c => c is >= '0' and <= '7');
}
