using System.Globalization;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;
using static GentooImage.Engine.Image.SizeText;

namespace GentooImage.Engine.Image;

/// <summary>
/// UEFI boot: a 100 MiB EFI system partition made with <c>mkfs.vfat --offset</c>, holding GRUB as
/// the removable-media path EFI/BOOT/BOOTX64.EFI, copied in with mtools (no mounts).
/// </summary>
internal sealed class EfiBootLoader : BootLoader
{
    private const long EspSectors = 100 * SectorsPerMiB;

    /// <summary>GRUB modules in BOOTX64.EFI.</summary>
    public static readonly string[] Modules =
    {
        "part_msdos", "part_gpt", "fat", "ext2", "normal", "search", "search_fs_uuid", "search_label", "linux", "echo", "serial",
        "terminal", "configfile", "test", "boot", "efi_gop", "efi_uga", "sleep", "ls", "cat", "halt", "reboot", "minicmd", "gzio",
    };

    public override bool WantsGpt => true;

    public override string Status => "Creating the EFI system partition";

    /// <summary>The ESP: number 15 on GPT, 2 on MBR (type ef).</summary>
    public override ImagePartition? PlanPartition(bool gpt, string diskId, long start)
    {
        var n = gpt ? 15 : 2;
        return new ImagePartition
        {
            Number = n, Role = "esp", StartSector = start, SizeSectors = EspSectors,
            Type = gpt ? DiskPartition.EspGuid : "ef", PartUuid = gpt ? Guid.NewGuid().ToString() : $"{diskId}-{n:x2}",
        };
    }

    public override void Install(ImageWorkspace ws, IReadOnlyList<(int Number, long Start, long Size)> table)
    {
        var esp = table.Single(p => p.Number == ws.Layout.Esp!.Number);
        var vol = ws.Layout.EspVolumeId!.Replace("-", string.Empty, StringComparison.Ordinal);
        var image = ws.TempImage;
        ws.Tool(new ProcessSpec("mkfs.vfat", "-F", "32", "-S", "512", "-s", "1", "-n", "EFI", "-i", vol, "--offset", esp.Start.ToString(CultureInfo.InvariantCulture), image, (esp.Size / 2).ToString(CultureInfo.InvariantCulture)), "mkfs.vfat");
        var efi = Path.Combine(ws.WorkDirectory, "BOOTX64.EFI");
        MakeGrubImage(ws, "x86_64-efi", "x86_64-efi", "grub-efi-amd64-bin", Modules, efi);
        var target = $"{image}@@{esp.Start * 512}";
        var env = new Dictionary<string, string?> { ["MTOOLS_SKIP_CHECK"] = "1" };
        ws.Tool(new ProcessSpec("mmd", "-i", target, "::/EFI", "::/EFI/BOOT") { Environment = env }, "mmd");
        ws.Tool(new ProcessSpec("mcopy", "-i", target, efi, "::/EFI/BOOT/BOOTX64.EFI") { Environment = env }, "mcopy");
    }
}
