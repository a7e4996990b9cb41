namespace GentooImage.Engine.Platform;

/// <summary>
/// Word wrapping for the module's views: text that must be read in full (a check's detail, a
/// progress line) is broken at spaces into lines of at most a given width, and a word longer than
/// the width is cut into pieces, so nothing is ever truncated.
/// </summary>
public static class TextWrap
{
    /// <summary>Splits <paramref name="text"/> into lines of at most <paramref name="width"/> characters.</summary>
    public static IReadOnlyList<string> Lines(string? text, int width)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        var lines = new List<string>();
        foreach (var paragraph in (text ?? string.Empty).Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            var current = new System.Text.StringBuilder();
            foreach (var word in paragraph.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var rest = word;
                while (rest.Length > 0)
                {
                    var room = current.Length == 0 ? width : width - current.Length - 1;
                    if (rest.Length <= room)
                    {
                        if (current.Length > 0)
                        {
                            current.Append(' ');
                        }

                        current.Append(rest);
                        rest = string.Empty;
                    }
                    else if (current.Length > 0)
                    {
                        lines.Add(current.ToString());
                        current.Clear();
                    }
                    else
                    {
                        lines.Add(rest[..width]);
                        rest = rest[width..];
                    }
                }
            }

            lines.Add(current.ToString());
        }

        return lines;
    }

    /// <summary>
    /// <paramref name="prefix"/> followed by <paramref name="text"/> wrapped to
    /// <paramref name="width"/> minus the prefix's length, continuation lines indented by as much as
    /// the prefix is long, joined with newlines.
    /// </summary>
    public static string Hanging(string prefix, string? text, int width)
    {
        var lines = Lines(text, Math.Max(1, width - prefix.Length));
        var indent = new string(' ', prefix.Length);
        return string.Join('\n', lines.Select((l, i) => ((i == 0 ? prefix : indent) + l).TrimEnd()));
    }
}
