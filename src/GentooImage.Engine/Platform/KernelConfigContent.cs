namespace GentooImage.Engine.Platform;

/// <summary>Checks that a file's content is a Linux kernel configuration before the module edits it.</summary>
internal static class KernelConfigContent
{
    /// <summary>Why the file at <paramref name="path"/> is not a kernel .config, or null when every line is a CONFIG_ setting, a comment or blank and there is at least one setting.</summary>
    public static string? WhyNot(string path)
    {
        var symbols = 0;
        try
        {
            using var reader = new StreamReader(path);
            var lineNo = 0;
            while (reader.ReadLine() is { } line)
            {
                lineNo++;
                var t = line.Trim();
                if (t.Length == 0 || (t.StartsWith('#') && !t.StartsWith("# CONFIG_", StringComparison.Ordinal)))
                {
                    continue;
                }

                if (System.Text.RegularExpressions.Regex.IsMatch(t, @"^(CONFIG_[A-Za-z0-9_]+=.*|# CONFIG_[A-Za-z0-9_]+ is not set)$"))
                {
                    symbols++;
                    continue;
                }

                return $"line {lineNo} is not a CONFIG_ setting ('{Clip(line)}')";
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"it cannot be read ({ex.Message})";
        }

        return symbols == 0 ? "it holds no CONFIG_ setting" : null;
    }

    private static string Clip(string s)
    {
        var clean = new string(s.Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return clean.Length > 40 ? clean[..40] + "..." : clean;
    }
}
