using System.Text.RegularExpressions;

namespace GentooImage.Engine.Guest;

/// <summary>
/// Plans the console part: a login getty on every console the image may boot with, so one image
/// serves KVM and Xen: ttyS0 at 115200 (KVM, Xen HVM) and hvc0 (Xen PV and PVH, which have no UART).
/// Under sysvinit and busybox init each getty runs through GentooImage's console-getty, which sleeps
/// where its console is absent instead of letting init respawn it in a loop. systemd needs no hvc0
/// unit: its getty generator starts one on hvc0 when the guest runs under Xen.
/// </summary>
internal static class SerialConsolePlanner
{
    public const string ConsoleGettyScript = GuestPlanner.LibexecDir + "/console-getty";

    /// <summary>The consoles that get a getty: the UART, then Xen's PV console.</summary>
    public static readonly IReadOnlyList<string> Ttys = new[] { "ttyS0", "hvc0" };

    /// <summary>The sysvinit inittab line for <paramref name="tty"/> (id s0 for ttyS0, h0 for hvc0).</summary>
    public static string AgettyLine(string tty) =>
        $"{InittabId(tty)}:12345:respawn:{ConsoleGettyScript} {tty} /sbin/agetty -L 115200 {tty} vt100";

    public static void Plan(GuestPlanDraft draft)
    {
        var fs = draft.Fs;
        switch (draft.Init)
        {
            case InitSystem.OpenRC:
                if (fs.FileExists("/etc/inittab"))
                {
                    WriteWrapper(draft);
                    foreach (var tty in Ttys)
                    {
                        InittabEdits.Set(draft, GuestPart.SerialConsole, new Regex($@"^\s*#?\s*{InittabId(tty)}:"), AgettyLine(tty), $"getty on {tty} at 115200 (when {tty} exists)");
                    }
                }
                else if (fs.FileExists("/etc/init.d/agetty"))
                {
                    // openrc-init roots have no inittab: gettys are agetty.<tty> services (supervised;
                    // one whose console is absent stops after its respawn limit).
                    foreach (var tty in Ttys)
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
                ServiceEnabler.EnableUnit(draft, GuestPart.SerialConsole, "serial-getty@.service", "ttyS0");
                draft.Note("hvc0 (Xen PV/PVH console): systemd's getty generator starts serial-getty@hvc0 when the guest runs under Xen; no unit is enabled for it.");
                break;
            case InitSystem.BusyboxInit:
                WriteWrapper(draft);
                var getty = fs.FirstFile("/sbin/getty", "/bin/getty", "/usr/sbin/getty", "/usr/bin/getty") ?? "/sbin/getty";
                foreach (var tty in Ttys)
                {
                    // No tty in the id field: busybox init would open the device itself, fail where it
                    // is absent and respawn the line in a loop. The getty opens its tty.
                    InittabEdits.Set(
                        draft,
                        GuestPart.SerialConsole,
                        new Regex($@"^({Regex.Escape(tty)}:|::respawn:\S*console-getty {Regex.Escape(tty)} )"),
                        $"::respawn:{ConsoleGettyScript} {tty} {getty} -L 115200 {tty} vt100",
                        $"getty on {tty} at 115200 (when {tty} exists)");
                }

                break;
        }
    }

    private static string InittabId(string tty) => tty == "hvc0" ? "h0" : "s0";

    private static void WriteWrapper(GuestPlanDraft draft) =>
        draft.WriteFile(GuestPart.SerialConsole, ConsoleGettyScript, GuestRootFs.Script("console-getty.sh"), GuestPlanDraft.Exec, "getty wrapper that sleeps where its console is absent");
}
