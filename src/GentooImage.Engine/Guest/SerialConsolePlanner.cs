using System.Text.RegularExpressions;

namespace GentooImage.Engine.Guest;

/// <summary>Plans the serial console part: a getty on ttyS0 at 115200 (and on hvc0 with -XenConsole), per init system.</summary>
internal static class SerialConsolePlanner
{
    public const string SerialGettyLine = "s0:12345:respawn:/sbin/agetty -L 115200 ttyS0 vt100";
    public const string XenGettyLine = "h0:12345:respawn:/sbin/agetty -L 115200 hvc0 vt100";

    public static void Plan(GuestPlanDraft draft)
    {
        var fs = draft.Fs;
        switch (draft.Init)
        {
            case InitSystem.OpenRC:
                if (fs.FileExists("/etc/inittab"))
                {
                    InittabEdits.Set(draft, GuestPart.SerialConsole, new Regex(@"^\s*#?\s*s0:"), SerialGettyLine, "getty on ttyS0 at 115200");
                    if (draft.Options.XenConsole)
                    {
                        InittabEdits.Set(draft, GuestPart.SerialConsole, new Regex(@"^\s*#?\s*h0:"), XenGettyLine, "getty on hvc0 (Xen PV console)");
                    }
                }
                else if (fs.FileExists("/etc/init.d/agetty"))
                {
                    // openrc-init roots have no inittab: gettys are agetty.<tty> services.
                    foreach (var tty in Ttys(draft.Options))
                    {
                        draft.Link(GuestPart.SerialConsole, $"/etc/init.d/agetty.{tty}", "agetty");
                        ServiceEnabler.EnableOpenRc(draft, GuestPart.SerialConsole, $"agetty.{tty}", "default", mustExist: false);
                    }
                }
                else
                {
                    draft.Note("The root has neither /etc/inittab nor /etc/init.d/agetty: no serial getty configured.", warn: true);
                }

                break;
            case InitSystem.Systemd:
                foreach (var tty in Ttys(draft.Options))
                {
                    ServiceEnabler.EnableUnit(draft, GuestPart.SerialConsole, "serial-getty@.service", tty);
                }

                break;
            case InitSystem.BusyboxInit:
                var getty = fs.FirstFile("/sbin/getty", "/bin/getty", "/usr/sbin/getty", "/usr/bin/getty") ?? "/sbin/getty";
                foreach (var tty in Ttys(draft.Options))
                {
                    InittabEdits.Set(draft, GuestPart.SerialConsole, new Regex($@"^{tty}:"), $"{tty}::respawn:{getty} -L 115200 {tty} vt100", $"getty on {tty} at 115200");
                }

                break;
        }
    }

    private static IEnumerable<string> Ttys(GuestOptions options) => options.XenConsole ? new[] { "ttyS0", "hvc0" } : new[] { "ttyS0" };
}
