using System.Text;
using System.Text.RegularExpressions;

namespace GentooImage.Engine.Guest;

/// <summary>Line edits of the guest's configuration files (inittab, conf.d, hosts, sshd_config).</summary>
internal static class ConfigLines
{
    /// <summary>Replaces the first line matching <paramref name="match"/> with <paramref name="line"/>, or appends it.</summary>
    public static string SetLine(string text, Regex match, string line)
    {
        var lines = Split(text);
        var index = lines.FindIndex(match.IsMatch);
        if (index >= 0)
        {
            lines[index] = line;
        }
        else
        {
            lines.Add(line);
        }

        return Join(lines);
    }

    /// <summary>The lines of <paramref name="text"/>, without the empty one after a final newline.</summary>
    public static List<string> Split(string text)
    {
        var lines = text.Split('\n').ToList();
        if (lines.Count > 0 && lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        return lines;
    }

    /// <summary>The lines, each ended by a newline.</summary>
    public static string Join(List<string> lines)
    {
        var sb = new StringBuilder();
        foreach (var l in lines)
        {
            sb.Append(l).Append('\n');
        }

        return sb.ToString();
    }
}
