using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;
using static GentooImage.Engine.Image.SizeText;

namespace GentooImage.Engine.Image;

/// <summary>
/// BIOS boot: GRUB's core image in the gap before the first partition (MBR) or in a BIOS boot
/// partition (GPT), and boot.img in the MBR, written by <see cref="GrubBiosSetup"/> the way
/// grub-bios-setup would (the tool refuses image files).
/// </summary>
internal sealed class BiosBootLoader : BootLoader
{
    /// <summary>GRUB modules in the BIOS core image (those the module directory has).</summary>
    public static readonly string[] Modules =
    {
        "biosdisk", "part_msdos", "part_gpt", "ext2", "fat", "normal", "search", "search_fs_uuid", "search_label",
        "linux", "echo", "serial", "terminal", "configfile", "test", "boot", "sleep", "ls", "cat", "halt", "reboot", "minicmd", "gzio",
    };

    public override bool WantsGpt => false;

    public override bool BootsWithBios => true;

    public override string Status => "Installing GRUB's BIOS boot code";

    /// <summary>A 1 MiB BIOS boot partition (number 14) on GPT; on MBR the core image goes into the gap before the first partition.</summary>
    public override ImagePartition? PlanPartition(bool gpt, string diskId, long start) =>
        gpt
            ? new ImagePartition { Number = 14, Role = "bios-boot", StartSector = start, SizeSectors = SectorsPerMiB, Type = DiskPartition.BiosBootGuid, PartUuid = Guid.NewGuid().ToString() }
            : null;

    public override void Install(ImageWorkspace ws, IReadOnlyList<(int Number, long Start, long Size)> table)
    {
        var core = Path.Combine(ws.WorkDirectory, "core.img");
        var dir = MakeGrubImage(ws, "i386-pc", "i386-pc", "grub-pc-bin", Modules, core);
        var coreBytes = File.ReadAllBytes(core);
        var sectors = (coreBytes.Length + 511) / 512;
        long lba, room;
        if (ws.Layout.Partitions.SingleOrDefault(x => x.Role == "bios-boot") is { } biosBoot)
        {
            var bb = table.Single(p => p.Number == biosBoot.Number);
            lba = bb.Start;
            room = bb.Size;
        }
        else
        {
            lba = 1;
            room = table.Min(p => p.Start) - 1;
        }

        if (sectors > room)
        {
            throw new GentooImageException(ErrorKind.ImageBuildFailed, $"GRUB's core image ({sectors} sectors) does not fit in the {room} sectors before the first partition.", core);
        }

        var bootImg = File.ReadAllBytes(Path.Combine(dir, "boot.img"));
        using var fs = new FileStream(ws.TempImage, FileMode.Open, FileAccess.ReadWrite);
        var mbr = new byte[512];
        fs.ReadExactly(mbr);
        fs.Position = 0;
        fs.Write(GrubBiosSetup.PatchMbr(bootImg, mbr, lba));
        fs.Position = lba * 512;
        fs.Write(GrubBiosSetup.PatchCore(coreBytes, lba));
    }
}
