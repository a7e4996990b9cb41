using System.Text.RegularExpressions;

namespace GentooImage.Engine.Guest;

/// <summary>Planned edits of /etc/inittab (sysvinit and busybox init): gettys, sysinit and respawn lines.</summary>
internal static class InittabEdits
{
    private const string Inittab = "/etc/inittab";

    /// <summary>Replaces the line matching <paramref name="match"/> with <paramref name="line"/>, or appends it.</summary>
    public static void Set(GuestPlanDraft draft, GuestPart part, Regex match, string line, string why)
    {
        var text = draft.Current(Inittab) ?? string.Empty;
        draft.WriteFile(part, Inittab, ConfigLines.SetLine(text, match, line), GuestPlanDraft.Regular, why);
    }

    /// <summary>Adds a busybox ::sysinit: line after the last one (so it runs once / is mounted read-write).</summary>
    public static void AddSysinit(GuestPlanDraft draft, GuestPart part, string line, string why)
    {
        var text = draft.Current(Inittab) ?? string.Empty;
        var lines = ConfigLines.Split(text);
        if (lines.Contains(line))
        {
            return;
        }

        var last = lines.FindLastIndex(l => l.StartsWith("::sysinit:", StringComparison.Ordinal));
        lines.Insert(last + 1, line);
        draft.WriteFile(part, Inittab, ConfigLines.Join(lines), GuestPlanDraft.Regular, why);
    }

    /// <summary>Appends <paramref name="line"/> unless the file has it already.</summary>
    public static void AddLine(GuestPlanDraft draft, GuestPart part, string line, string why)
    {
        var text = draft.Current(Inittab) ?? string.Empty;
        var lines = ConfigLines.Split(text);
        if (lines.Contains(line))
        {
            return;
        }

        lines.Add(line);
        draft.WriteFile(part, Inittab, ConfigLines.Join(lines), GuestPlanDraft.Regular, why);
    }
}
