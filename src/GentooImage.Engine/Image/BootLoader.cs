using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;
using static GentooImage.Engine.Image.SizeText;

namespace GentooImage.Engine.Image;

/// <summary>
/// A way the image boots, one type per firmware: <see cref="BiosBootLoader"/> and
/// <see cref="EfiBootLoader"/>. <see cref="For"/> is the one place that turns -Firmware into boot
/// loaders, called once by <see cref="DiskImagePlanner"/>; everything that depends on the firmware
/// (the partitions, the partition table's default, the MBR's active flag, the Glance firmware type,
/// what is installed) asks the loaders chosen there, kept in <see cref="DiskImageLayout.BootLoaders"/>.
/// -Firmware itself is only repeated as a name (the -WhatIf text, DiskImage.Firmware). Both loaders
/// build their GRUB image with <see cref="MakeGrubImage"/> and read <see cref="GrubConfig"/>.
/// </summary>
internal abstract class BootLoader
{
    /// <summary>The boot loaders for <paramref name="firmware"/>, in disk order (Hybrid: BIOS, then EFI).</summary>
    public static IReadOnlyList<BootLoader> For(BootFirmware firmware) => firmware switch
    {
        BootFirmware.Bios => new BootLoader[] { new BiosBootLoader() },
        BootFirmware.Uefi => new BootLoader[] { new EfiBootLoader() },
        BootFirmware.Hybrid => new BootLoader[] { new BiosBootLoader(), new EfiBootLoader() },
        _ => throw new GentooImageException(ErrorKind.InvalidArgument, $"Unknown firmware '{firmware}'. Use Bios, Uefi or Hybrid.", firmware.ToString()),
    };

    /// <summary>True when the default partition table for this loader is GPT.</summary>
    public abstract bool WantsGpt { get; }

    /// <summary>True for BIOS booting: the MBR marks the root partition active, Glance says "bios".</summary>
    public virtual bool BootsWithBios => false;

    /// <summary>What the progress bar says while <see cref="Install"/> runs.</summary>
    public abstract string Status { get; }

    /// <summary>The partition this loader needs before the root one (starting at <paramref name="start"/>), or null.</summary>
    public abstract ImagePartition? PlanPartition(bool gpt, string diskId, long start);

    /// <summary>Writes the loader into the image (after the root file system).</summary>
    public abstract void Install(ImageWorkspace ws, IReadOnlyList<(int Number, long Start, long Size)> table);

    /// <summary>Builds a GRUB image with grub-mkimage from the root's GRUB modules (else the host's); returns the module directory.</summary>
    protected static string MakeGrubImage(ImageWorkspace ws, string format, string platform, string package, IEnumerable<string> modules, string output)
    {
        var dir = GrubDir(ws.Layout.Request.RootPath, platform, package);
        var cfg = Path.Combine(ws.WorkDirectory, "early.cfg");
        File.WriteAllText(cfg, GrubConfig.Early(ws.Layout));
        var args = new List<string> { "-O", format, "-d", dir, "-c", cfg, "-p", "/boot/grub", "-o", output };
        args.AddRange(modules.Where(m => File.Exists(Path.Combine(dir, m + ".mod"))));
        ws.Tool(new ProcessSpec("grub-mkimage", args), "grub-mkimage");
        return dir;
    }

    private static string GrubDir(string rootPath, string platform, string package)
    {
        var inRoot = $"{rootPath}/usr/lib/grub/{platform}";
        foreach (var d in new[] { inRoot, $"/usr/lib/grub/{platform}" })
        {
            if (File.Exists(Path.Combine(d, "moddep.lst")) && File.Exists(Path.Combine(d, "kernel.img")))
            {
                return d;
            }
        }

        throw new GentooImageException(
            ErrorKind.ToolMissing,
            $"GRUB's {platform} modules were found neither in the root ({inRoot}) nor on the host. Install them (Debian: apt-get install {package}; Gentoo root: emerge sys-boot/grub).",
            platform);
    }
}
