using System.Globalization;

namespace GentooImage.Engine.Kernel;

/// <summary>
/// A Kconfig dependency expression (<c>&amp;&amp;</c>, <c>||</c>, <c>!</c>, <c>=</c>, <c>!=</c>,
/// <c>&lt;</c>, <c>&gt;</c>, <c>&lt;=</c>, <c>&gt;=</c>, parentheses, symbols and constants),
/// evaluated in tristate logic (n=0, m=1, y=2) against the values of a final .config.
/// </summary>
internal abstract class KconfigExpression
{
    public abstract string Text { get; }

    /// <summary>Tristate value: 0 (n), 1 (m) or 2 (y).</summary>
    public abstract int Evaluate(Func<string, string?> valueOf);

    /// <summary>The top-level <c>&amp;&amp;</c> operands (the expression itself when it is not an and).</summary>
    public virtual IEnumerable<KconfigExpression> Conjuncts() { yield return this; }

    public override string ToString() => Text;

    public static KconfigExpression Parse(string text)
    {
        var p = new Parser(Tokenize(text));
        var e = p.ParseOr();
        return p.AtEnd ? e : new Const("y"); // trailing junk: treat as always true rather than guess
    }

    internal sealed class Symbol : KconfigExpression
    {
        public Symbol(string name) => Name = name;

        public string Name { get; }

        public override string Text => Name;

        public override int Evaluate(Func<string, string?> valueOf) => Tristate(valueOf(Name));
    }

    internal sealed class Const : KconfigExpression
    {
        public Const(string value) => Value = value;

        public string Value { get; }

        public override string Text => Value.StartsWith("$(", StringComparison.Ordinal) || Value.StartsWith('"') ? Value : Value;

        // A macro ($(cc-option,...)) was decided when the .config was made: assume it holds.
        public override int Evaluate(Func<string, string?> valueOf) => Value.StartsWith("$(", StringComparison.Ordinal) ? 2 : Tristate(Value);
    }

    internal sealed class Not : KconfigExpression
    {
        public Not(KconfigExpression operand) => Operand = operand;

        public KconfigExpression Operand { get; }

        public override string Text => Operand is Symbol or Const or Paren ? "!" + Operand.Text : "!(" + Operand.Text + ")";

        public override int Evaluate(Func<string, string?> valueOf) => 2 - Operand.Evaluate(valueOf);
    }

    internal sealed class Paren : KconfigExpression
    {
        public Paren(KconfigExpression inner) => Inner = inner;

        public KconfigExpression Inner { get; }

        public override string Text => "(" + Inner.Text + ")";

        public override int Evaluate(Func<string, string?> valueOf) => Inner.Evaluate(valueOf);

        public override IEnumerable<KconfigExpression> Conjuncts() => Inner is And ? Inner.Conjuncts() : base.Conjuncts();
    }

    internal sealed class And : KconfigExpression
    {
        public And(KconfigExpression left, KconfigExpression right) => (Left, Right) = (left, right);

        public KconfigExpression Left { get; }

        public KconfigExpression Right { get; }

        public override string Text => Left.Text + " && " + Right.Text;

        public override int Evaluate(Func<string, string?> valueOf) => Math.Min(Left.Evaluate(valueOf), Right.Evaluate(valueOf));

        public override IEnumerable<KconfigExpression> Conjuncts() => Left.Conjuncts().Concat(Right.Conjuncts());
    }

    internal sealed class Or : KconfigExpression
    {
        public Or(KconfigExpression left, KconfigExpression right) => (Left, Right) = (left, right);

        public KconfigExpression Left { get; }

        public KconfigExpression Right { get; }

        public override string Text => Left.Text + " || " + Right.Text;

        public override int Evaluate(Func<string, string?> valueOf) => Math.Max(Left.Evaluate(valueOf), Right.Evaluate(valueOf));
    }

    internal sealed class Compare : KconfigExpression
    {
        public Compare(string op, KconfigExpression left, KconfigExpression right) => (Op, Left, Right) = (op, left, right);

        public string Op { get; }

        public KconfigExpression Left { get; }

        public KconfigExpression Right { get; }

        public override string Text => $"{Left.Text} {Op} {Right.Text}";

        public override int Evaluate(Func<string, string?> valueOf)
        {
            var a = StringValue(Left, valueOf);
            var b = StringValue(Right, valueOf);
            int cmp;
            if (TryNumber(a, out var na) && TryNumber(b, out var nb))
            {
                cmp = na.CompareTo(nb);
            }
            else
            {
                cmp = string.CompareOrdinal(a, b);
            }

            var holds = Op switch
            {
                "=" => cmp == 0,
                "!=" => cmp != 0,
                "<" => cmp < 0,
                ">" => cmp > 0,
                "<=" => cmp <= 0,
                ">=" => cmp >= 0,
                _ => false,
            };
            return holds ? 2 : 0;
        }

        private static string StringValue(KconfigExpression e, Func<string, string?> valueOf)
        {
            var raw = e switch
            {
                Symbol s => valueOf(s.Name) ?? "n",
                Const c => c.Value,
                _ => e.Evaluate(valueOf) switch { 2 => "y", 1 => "m", _ => "n" },
            };
            return raw.Length >= 2 && raw[0] == '"' && raw[^1] == '"' ? raw[1..^1] : raw;
        }

        private static bool TryNumber(string s, out long n) =>
            s.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                ? long.TryParse(s[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out n)
                : long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out n);
    }

    /// <summary>y/m/anything else as a tristate.</summary>
    public static int Tristate(string? value) => value switch { "y" => 2, "m" => 1, _ => 0 };

    private static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == '"' || c == '\'')
            {
                var j = i + 1;
                while (j < text.Length && text[j] != c)
                {
                    j += text[j] == '\\' ? 2 : 1;
                }

                tokens.Add("\"" + text[(i + 1)..Math.Min(j, text.Length)] + "\"");
                i = j + 1;
            }
            else if (c == '$' && i + 1 < text.Length && text[i + 1] == '(')
            {
                var depth = 0;
                var j = i + 1;
                for (; j < text.Length; j++)
                {
                    if (text[j] == '(')
                    {
                        depth++;
                    }
                    else if (text[j] == ')' && --depth == 0)
                    {
                        break;
                    }
                }

                tokens.Add(text[i..Math.Min(j + 1, text.Length)]);
                i = j + 1;
            }
            else if (i + 1 < text.Length && text.Substring(i, 2) is "&&" or "||" or "!=" or "<=" or ">=")
            {
                tokens.Add(text.Substring(i, 2));
                i += 2;
            }
            else if ("!=()<>".Contains(c))
            {
                tokens.Add(c.ToString());
                i++;
            }
            else
            {
                var j = i;
                while (j < text.Length && !char.IsWhiteSpace(text[j]) && !"!=()<>&|\"'".Contains(text[j]))
                {
                    j++;
                }

                if (j == i)
                {
                    j++; // a lone '&' or '|': keep going
                }

                tokens.Add(text[i..j]);
                i = j;
            }
        }

        return tokens;
    }

    private sealed class Parser
    {
        private readonly List<string> _tokens;
        private int _pos;

        public Parser(List<string> tokens) => _tokens = tokens;

        public bool AtEnd => _pos >= _tokens.Count;

        private string? Peek => _pos < _tokens.Count ? _tokens[_pos] : null;

        public KconfigExpression ParseOr()
        {
            var left = ParseAnd();
            while (Peek == "||")
            {
                _pos++;
                left = new Or(left, ParseAnd());
            }

            return left;
        }

        private KconfigExpression ParseAnd()
        {
            var left = ParseNot();
            while (Peek == "&&")
            {
                _pos++;
                left = new And(left, ParseNot());
            }

            return left;
        }

        private KconfigExpression ParseNot()
        {
            if (Peek == "!")
            {
                _pos++;
                return new Not(ParseNot());
            }

            return ParsePrimary();
        }

        private KconfigExpression ParsePrimary()
        {
            if (Peek == "(")
            {
                _pos++;
                var inner = ParseOr();
                if (Peek == ")")
                {
                    _pos++;
                }

                return new Paren(inner);
            }

            var left = Atom(Peek ?? "n");
            _pos++;
            if (Peek is "=" or "!=" or "<" or ">" or "<=" or ">=")
            {
                var op = Peek!;
                _pos++;
                var right = Atom(Peek ?? "n");
                _pos++;
                return new Compare(op, left, right);
            }

            return left;
        }

        private static KconfigExpression Atom(string token) =>
            token is "y" or "m" or "n" || token.StartsWith('"') || token.StartsWith("$(", StringComparison.Ordinal)
            || (token.Length > 0 && (char.IsDigit(token[0]) || token[0] == '-') && !token.Any(char.IsUpper))
                ? new Const(token)
                : new Symbol(token);
    }
}
