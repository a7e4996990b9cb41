using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;
using static GentooImage.Engine.Image.SizeText;

namespace GentooImage.Engine.Image;

/// <summary>
/// Plans a disk image without writing anything (what -WhatIf shows): checks the request, finds the
/// kernel, measures the root, chooses the boot loaders once from the firmware, and lays out the
/// partitions (boot loader partitions first, the root partition last so it can grow), the sizes,
/// the UUIDs and the kernel command line.
/// </summary>
internal static class DiskImagePlanner
{
    /// <summary>Plans the image (nothing is written): checks the request, finds the kernel, measures the root.</summary>
    public static DiskImageLayout Plan(DiskImageRequest request, OperationContext ctx)
    {
        // Canonical, so mounts below it are recognised in mountinfo even when -RootPath is a symlink.
        var root = BuildRootGuard.Demand(request.RootPath, "RootPath");
        request = request with { ImagePath = HostPathPolicy.CheckOutputFile(Path.GetFullPath(request.ImagePath), "Path", HostPathUse.Image, mayReplace: true, "use -Force") };
        HostPathPolicy.CheckText(request.KernelCommandLine, "KernelCommandLine");
        foreach (var console in request.Console)
        {
            KernelConsole.Validate(console);
        }

        if (!string.Equals(request.FileSystem, "ext4", StringComparison.OrdinalIgnoreCase))
        {
            throw new GentooImageException(ErrorKind.InvalidArgument, $"File system '{request.FileSystem}' is not supported; use ext4.", request.FileSystem);
        }

        if (request.Label.Length is 0 or > 16)
        {
            throw new GentooImageException(ErrorKind.InvalidArgument, $"The label '{request.Label}' must be 1 to 16 characters (an ext4 limit).", request.Label);
        }

        var dir = Path.GetDirectoryName(request.ImagePath);
        if (dir is null || !Directory.Exists(dir))
        {
            throw new GentooImageException(ErrorKind.InvalidArgument, $"The directory of '{request.ImagePath}' does not exist. Create it first.", request.ImagePath);
        }

        var imageFull = Path.GetFullPath(request.ImagePath);
        if (imageFull == root || imageFull.StartsWith(root + "/", StringComparison.Ordinal))
        {
            throw new GentooImageException(ErrorKind.InvalidArgument, $"The image '{imageFull}' would be inside the root '{root}' it is made from. Write it outside the root.", imageFull);
        }

        if (File.Exists(request.ImagePath) && !request.Force)
        {
            throw new GentooImageException(ErrorKind.ImageExists, $"The image '{request.ImagePath}' already exists. Remove it, choose another -Path, or use -Force to replace it.", request.ImagePath);
        }

        var (kernel, initrd) = KernelLocator.Find(root, request.Kernel);
        ctx.Report(new ProgressReport("Planning the disk image", "Measuring " + root));
        var scan = RootTree.Scan(root, ctx);

        // -Firmware becomes boot loaders here, once (BootLoader.For), in disk order; the rest of the
        // plan asks them. The default table is GPT when an EFI loader is among them (MBR for BIOS alone).
        var bootLoaders = BootLoader.For(request.Firmware);
        var table = request.PartitionTable ?? (bootLoaders.Any(l => l.WantsGpt) ? PartitionTableKind.Gpt : PartitionTableKind.Mbr);
        var gpt = table == PartitionTableKind.Gpt;
        var diskId = gpt ? Guid.NewGuid().ToString() : RandomHex32();
        var parts = new List<ImagePartition>();
        var next = SectorsPerMiB;
        foreach (var loader in bootLoaders)
        {
            if (loader.PlanPartition(gpt, diskId, next) is { } p)
            {
                parts.Add(p);
                next += p.SizeSectors;
            }
        }

        // The root partition is number 1 and the last one, so growpart can grow it to a bigger disk.
        var rootPartUuid = gpt ? Guid.NewGuid().ToString() : $"{diskId}-01";
        parts.Add(new ImagePartition { Number = 1, Role = "root", StartSector = next, SizeSectors = 0, Type = gpt ? DiskPartition.X86RootGuid : "83", PartUuid = rootPartUuid });

        var lead = next * SectorSize;
        var minRootFs = (long)(scan.UsedBytes * 1.1) + (scan.Entries * 256) + (64 * MiB);
        var minimum = RoundUpMiB(lead + minRootFs + MiB);
        var size = request.Size is null
            ? RoundUpMiB(lead + (long)(scan.UsedBytes * 1.3) + (256 * MiB))
            : RoundUpMiB(SizeText.Parse(request.Size));
        if (size < minimum)
        {
            throw new GentooImageException(
                ErrorKind.ImageTooSmall,
                $"{size / MiB} MiB is too small for '{root}' ({scan.UsedBytes / MiB} MiB of files): the image needs at least {minimum / MiB} MiB. Give a bigger -Size (e.g. {(minimum + MiB - 1) / MiB}MB) or leave -Size out for the default.",
                request.Size);
        }

        var rootUuid = Guid.NewGuid().ToString();
        var rootArg = initrd is null ? $"root=PARTUUID={rootPartUuid}" : $"root=UUID={rootUuid}";
        var cmdline = new StringBuilder($"{rootArg} ro rootfstype=ext4");
        foreach (var c in request.Console.Where(c => !string.IsNullOrWhiteSpace(c)))
        {
            cmdline.Append(" console=").Append(c.Trim());
        }

        // What the root needs to boot as configured (Initialize-CloudGuest's net.ifnames=0 for netifrc's eth0),
        // then the caller's own arguments; an argument already given by -KernelCommandLine is not repeated.
        var extra = (request.KernelCommandLine ?? string.Empty).Split(' ', '\t', StringSplitOptions.RemoveEmptyEntries);
        foreach (var arg in request.KernelArguments.Where(a => !string.IsNullOrWhiteSpace(a) && !extra.Contains(a.Trim())).Distinct())
        {
            cmdline.Append(' ').Append(arg.Trim());
        }

        if (!string.IsNullOrWhiteSpace(request.KernelCommandLine))
        {
            cmdline.Append(' ').Append(request.KernelCommandLine.Trim());
        }

        return new DiskImageLayout
        {
            Request = request with { RootPath = root, ImagePath = imageFull },
            PartitionTable = table,
            SizeBytes = size,
            UsedBytes = scan.UsedBytes,
            MinimumBytes = minimum,
            EntryCount = scan.Entries,
            Partitions = parts,
            DiskId = diskId,
            RootUuid = rootUuid,
            EspVolumeId = parts.Any(p => p.Role == "esp") ? RandomHex32().ToUpperInvariant().Insert(4, "-") : null,
            BootLoaders = bootLoaders,
            Kernel = kernel,
            Initramfs = initrd,
            CommandLine = cmdline.ToString(),
            Excluded = scan.Excluded,
            HasMountsBelow = scan.HasMountsBelow,
        };
    }

    private static long RoundUpMiB(long bytes) => (bytes + MiB - 1) / MiB * MiB;

    /// <summary>A random non-zero 32-bit value as 8 hex digits (MBR disk signature, FAT volume id).</summary>
    internal static string RandomHex32()
    {
        uint v;
        do
        {
            v = (uint)RandomNumberGenerator.GetInt32(int.MinValue, int.MaxValue) ^ (uint)RandomNumberGenerator.GetInt32(2);
        }
        while (v == 0);
        return v.ToString("x8", CultureInfo.InvariantCulture);
    }
}
