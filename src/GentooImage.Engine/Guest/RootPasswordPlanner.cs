namespace GentooImage.Engine.Guest;

/// <summary>Plans the root password part: root's password in /etc/shadow locked (or, for test images, empty).</summary>
internal static class RootPasswordPlanner
{
    public static void Plan(GuestPlanDraft draft)
    {
        var options = draft.Options;
        var shadow = draft.Current("/etc/shadow");
        if (shadow is null)
        {
            draft.Note("The root has no /etc/shadow: root password left alone.", warn: true);
            return;
        }

        if (options.RootPassword == RootPasswordMode.Empty)
        {
            draft.Ctx.Warning("-RootPassword Empty: root logs in on the console without a password. Use this only for test images, never for an image others can boot.");
        }

        var lines = shadow.Split('\n').ToList();
        var index = lines.FindIndex(l => l.StartsWith("root:", StringComparison.Ordinal));
        if (index < 0)
        {
            draft.Note("/etc/shadow has no root entry: root password left alone.", warn: true);
            return;
        }

        var fields = lines[index].Split(':');
        if (fields.Length < 2)
        {
            draft.Note("The root entry of /etc/shadow is malformed: root password left alone.", warn: true);
            return;
        }

        var current = fields[1];
        var wanted = options.RootPassword switch
        {
            RootPasswordMode.Empty => string.Empty,
            _ => current is "*" or "!" or "!*" ? current : "!",
        };
        if (wanted == current)
        {
            return;
        }

        fields[1] = wanted;
        lines[index] = string.Join(':', fields);
        draft.WriteFile(GuestPart.RootPassword, "/etc/shadow", string.Join('\n', lines), (UnixFileMode)0b110_100_000,
            options.RootPassword == RootPasswordMode.Empty ? "root password empty" : "root password locked");
    }
}
