using System.Globalization;
using System.Text;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Image;

/// <summary>
/// Writes the planned partition table (MBR or GPT) onto the image file with sfdisk, and reads back
/// where each partition really is (sfdisk --json), which the later steps write to.
/// </summary>
internal static class PartitionTableWriter
{
    /// <summary>The partitions as written: number, first sector and size in sectors.</summary>
    public static List<(int Number, long Start, long Size)> Write(ImageWorkspace ws)
    {
        var layout = ws.Layout;
        var gpt = layout.PartitionTable == PartitionTableKind.Gpt;
        var activeRoot = layout.BootLoaders.Any(l => l.BootsWithBios);
        var sb = new StringBuilder();
        sb.Append(gpt ? "label: gpt\n" : "label: dos\n");
        sb.Append(CultureInfo.InvariantCulture, $"label-id: {(gpt ? layout.DiskId : "0x" + layout.DiskId)}\n");
        foreach (var p in layout.Partitions)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{ws.TempImage}{p.Number} : start={p.StartSector}");
            if (p.SizeSectors > 0)
            {
                sb.Append(CultureInfo.InvariantCulture, $", size={p.SizeSectors}");
            }

            sb.Append(", type=").Append(p.Type);
            if (gpt)
            {
                sb.Append(", uuid=").Append(p.PartUuid);
                sb.Append(", name=").Append(p.Role == "root" ? "cloudimg-rootfs" : p.Role);
            }
            else if (p.Role == "root" && activeRoot)
            {
                // What a BIOS's MBR code looks for; UEFI ignores it.
                sb.Append(", bootable");
            }

            sb.Append('\n');
        }

        ws.Tool(new ProcessSpec("sfdisk", "--no-reread", "--no-tell-kernel", "-q", ws.TempImage) { StandardInput = sb.ToString() }, "sfdisk");
        var json = ws.Tool(new ProcessSpec("sfdisk", "--json", ws.TempImage), "sfdisk --json").StandardOutput;
        return DiskLayout.Parse(json).Partitions.Select(p => (p.Number, p.StartSector, p.Sectors)).ToList();
    }
}
