namespace GentooImage.Engine.Kernel;

/// <summary>The lexical rules of Kconfig lines: comments, quoting, keywords, indentation and help text.</summary>
internal static class KconfigText
{
    public static int SkipHelp(string[] lines, int i, int helpIndent)
    {
        var textIndent = -1;
        while (i < lines.Length)
        {
            var l = lines[i];
            if (l.Trim().Length == 0)
            {
                i++;
                continue;
            }

            var ind = Indent(l);
            if (textIndent < 0)
            {
                if (ind <= helpIndent)
                {
                    return i;
                }

                textIndent = ind;
            }
            else if (ind < textIndent)
            {
                return i;
            }

            i++;
        }

        return i;
    }

    public static int Indent(string line)
    {
        var n = 0;
        foreach (var c in line)
        {
            if (c == ' ')
            {
                n++;
            }
            else if (c == '\t')
            {
                n = (n / 8 + 1) * 8;
            }
            else
            {
                break;
            }
        }

        return n;
    }

    public static (string Keyword, string Tail) SplitFirst(string text)
    {
        var sp = text.IndexOfAny(new[] { ' ', '\t' });
        return sp < 0 ? (text, string.Empty) : (text[..sp], text[(sp + 1)..].TrimStart());
    }

    public static string StripComment(string line)
    {
        char quote = '\0';
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quote != '\0')
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == quote)
                {
                    quote = '\0';
                }
            }
            else if (c is '"' or '\'')
            {
                quote = c;
            }
            else if (c == '#')
            {
                return line[..i];
            }
        }

        return line;
    }

    public static int FindClosingQuote(string s)
    {
        var q = s[0];
        for (var i = 1; i < s.Length; i++)
        {
            if (s[i] == '\\')
            {
                i++;
            }
            else if (s[i] == q)
            {
                return i;
            }
        }

        return s.Length;
    }

    public static string Unquote(string s)
    {
        if (s.Length >= 2 && (s[0] == '"' || s[0] == '\''))
        {
            var close = FindClosingQuote(s);
            return s[1..Math.Min(close, s.Length)];
        }

        return s;
    }
}
