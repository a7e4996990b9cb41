using System.Text.RegularExpressions;

namespace GentooImage.Engine.Boot;

/// <summary>
/// Tells from a guest's serial console output which <see cref="BootStage"/> it has reached, for the
/// boot's progress: GRUB's banner or menu, the kernel's first lines, init's, a login prompt.
/// </summary>
public static partial class BootStageDetector
{
    /// <summary>The furthest stage the text shows.</summary>
    public static BootStage Detect(string serial)
    {
        if (LoginPattern().IsMatch(serial))
        {
            return BootStage.Login;
        }

        if (InitPattern().IsMatch(serial))
        {
            return BootStage.Init;
        }

        if (KernelPattern().IsMatch(serial))
        {
            return BootStage.Kernel;
        }

        return BootloaderPattern().IsMatch(serial) ? BootStage.Bootloader : BootStage.Firmware;
    }

    /// <summary>What a stage means to someone waiting for it, e.g. "kernel started".</summary>
    public static string Describe(BootStage stage) => stage switch
    {
        BootStage.Firmware => "firmware (SeaBIOS/OVMF)",
        BootStage.Bootloader => "GRUB",
        BootStage.Kernel => "kernel started",
        BootStage.Init => "init running",
        BootStage.Login => "login prompt",
        _ => stage.ToString(),
    };

    [GeneratedRegex(@"login:\s*$", RegexOptions.Multiline)]
    private static partial Regex LoginPattern();

    [GeneratedRegex(@"Run /\S+ as init process|OpenRC \S+ is starting|INIT: version|init started: BusyBox|systemd\[1\]:")]
    private static partial Regex InitPattern();

    [GeneratedRegex(@"Linux version \d|Decompressing Linux|EFI stub: |^\[\s*\d+\.\d+\] ", RegexOptions.Multiline)]
    private static partial Regex KernelPattern();

    [GeneratedRegex(@"GNU GRUB|Welcome to GRUB|Booting `|Loading Linux|grub>|\bGRUB\b")]
    private static partial Regex BootloaderPattern();
}
