namespace GentooImage.Engine.Guest;

/// <summary>Plans the timezone part: /etc/timezone and the /etc/localtime link into zoneinfo.</summary>
internal static class TimezonePlanner
{
    public static void Plan(GuestPlanDraft draft)
    {
        var tz = draft.Options.Timezone;
        var zone = "/usr/share/zoneinfo/" + tz;
        if (!draft.Fs.FileExists(zone))
        {
            var message = $"{zone} is not in the root (sys-libs/timezone-data): /etc/localtime will point at a missing file until it is installed.";
            if (tz == "UTC")
            {
                draft.Note(message + " The C library falls back to UTC meanwhile.");
            }
            else
            {
                draft.Note(message, warn: true);
            }
        }

        draft.WriteFile(GuestPart.Timezone, "/etc/timezone", tz + "\n", GuestPlanDraft.Regular, $"timezone {tz}");
        draft.Link(GuestPart.Timezone, "/etc/localtime", "../usr/share/zoneinfo/" + tz);
    }
}
