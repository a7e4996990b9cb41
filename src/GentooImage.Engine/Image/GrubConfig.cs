using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace GentooImage.Engine.Image;

/// <summary>
/// GRUB's configuration, the same for BIOS and EFI: the grub.cfg in the image's /boot/grub
/// (<see cref="For"/>: serial and console terminal except under Xen's pvgrub2, one menu entry booting the planned kernel and
/// command line) and the early configuration built into GRUB's image (<see cref="Early"/>: find the
/// root file system, then read grub.cfg from it).
/// </summary>
internal static class GrubConfig
{
    /// <summary>The grub.cfg written to /boot/grub/grub.cfg in the image.</summary>
    public static string For(DiskImageLayout layout)
    {
        var serial = layout.Request.Console.Select(c => c.Trim()).FirstOrDefault(c => c.StartsWith("ttyS", StringComparison.Ordinal));
        var unit = 0;
        var speed = 115200;
        if (serial is not null)
        {
            var m = Regex.Match(serial, @"^ttyS(\d+)(,(\d+))?");
            unit = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            if (m.Groups[3].Success)
            {
                speed = int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
            }
        }

        var sb = new StringBuilder();
        sb.Append("# Written by New-RawDiskImage.\n");

        // Xen's pvgrub2 (platform "xen" for PV guests, "xen_pvh" for PVH) has no serial terminal: its
        // console is Xen's, already active. Every other platform gets the serial terminal next to the screen.
        sb.Append("if [ \"x${grub_platform}\" != xxen -a \"x${grub_platform}\" != xxen_pvh ]; then\n");
        sb.Append(CultureInfo.InvariantCulture, $"    serial --unit={unit} --speed={speed} --word=8 --parity=no --stop=1\n");
        sb.Append("    terminal_input console serial\n    terminal_output console serial\nfi\n");
        sb.Append("set timeout=5\nset default=0\n");
        sb.Append(CultureInfo.InvariantCulture, $"search --no-floppy --fs-uuid --set=root {layout.RootUuid}\n");
        sb.Append(CultureInfo.InvariantCulture, $"menuentry 'Gentoo Linux ({Path.GetFileName(layout.Kernel)})' --id gentoo {{\n");
        sb.Append(CultureInfo.InvariantCulture, $"    search --no-floppy --fs-uuid --set=root {layout.RootUuid}\n");
        sb.Append(CultureInfo.InvariantCulture, $"    echo 'Loading {layout.Kernel} ...'\n");
        sb.Append(CultureInfo.InvariantCulture, $"    linux {layout.Kernel} {layout.CommandLine}\n");
        if (layout.Initramfs is not null)
        {
            sb.Append(CultureInfo.InvariantCulture, $"    initrd {layout.Initramfs}\n");
        }

        sb.Append("}\n");
        return sb.ToString();
    }

    /// <summary>The configuration built into GRUB's image: find the root file system, then read grub.cfg from it.</summary>
    public static string Early(DiskImageLayout layout) =>
        $"search --no-floppy --fs-uuid --set=root {layout.RootUuid}\nset prefix=($root)/boot/grub\n";
}
