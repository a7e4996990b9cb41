using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Boot;

/// <summary>
/// Static checks of a raw disk image, with the standard tools and without loop devices or mounts:
/// sfdisk --json for the table, e2fsck -fn and debugfs on the root partition through e2fsprogs'
/// "file?offset=N" I/O option, mtools for the ESP, and the GRUB boot sectors read directly.
/// </summary>
public sealed class ImageInspector
{
    private readonly IProcessRunner _runner;

    public ImageInspector(IProcessRunner? runner = null) => _runner = runner ?? ProcessRunner.Instance;

    /// <summary>Runs every static check; each failure is a failed check, not an exception.</summary>
    public async Task<(IReadOnlyList<ImageCheck> Checks, DiskLayout? Layout, BootFirmware? Firmware)> InspectAsync(
        string image, ImageExpectations expected, OperationContext ctx)
    {
        var checks = new List<ImageCheck>();
        if (!File.Exists(image))
        {
            throw new GentooImageException(ErrorKind.InvalidArgument, $"The image '{image}' does not exist. Pass the path of a raw disk image made by New-RawDiskImage.", image);
        }

        DiskLayout? layout;
        try
        {
            layout = await ReadLayoutAsync(image, ctx).ConfigureAwait(false);
        }
        catch (GentooImageException ex) when (ex.Kind == ErrorKind.ToolFailed)
        {
            checks.Add(new ImageCheck("PartitionTable", false, ex.Message));
            return (checks, null, null);
        }

        checks.Add(CheckTable(layout, expected));
        var root = layout.Root;
        if (root is null)
        {
            return (checks, layout, null);
        }

        var fsTarget = $"{image}?offset={root.Offset}";
        var fsck = await RunAsync(ctx, "e2fsck", "-fn", fsTarget).ConfigureAwait(false);
        checks.Add(new ImageCheck("RootFilesystemClean", fsck.Succeeded,
            fsck.Succeeded ? LastLine(fsck.StandardOutput) : $"e2fsck -fn exited {fsck.ExitCode}: {LastLine(fsck.StandardOutput + fsck.StandardError)}"));

        var fsUuid = await FilesystemUuidAsync(fsTarget, ctx).ConfigureAwait(false);
        var fstab = await CatAsync(fsTarget, "/etc/fstab", ctx).ConfigureAwait(false);
        checks.Add(CheckFstab(fstab, fsUuid, expected.RootUuid));

        var bios = await CheckBiosBootAsync(image, layout).ConfigureAwait(false);
        var efi = layout.Esp is { } esp ? await CheckEfiAsync(image, esp, ctx).ConfigureAwait(false) : null;
        BootFirmware? firmware = (bios.Passed, efi?.Passed == true) switch
        {
            (true, true) => BootFirmware.Hybrid,
            (true, false) => BootFirmware.Bios,
            (false, true) => BootFirmware.Uefi,
            _ => null,
        };
        checks.Add(firmware is null
            ? new ImageCheck("BootCode", false, $"no boot code found: {bios.Detail}{(efi is null ? "; no ESP" : "; " + efi.Detail)}")
            : new ImageCheck("BootCode", true, string.Join("; ", new[] { bios.Passed ? bios.Detail : null, efi?.Passed == true ? efi.Detail : null }.Where(s => s is not null))));

        var grubCfg = await CatAsync(fsTarget, "/boot/grub/grub.cfg", ctx).ConfigureAwait(false);
        checks.Add(await CheckKernelAndGrubAsync(fsTarget, grubCfg, fsUuid, layout, ctx).ConfigureAwait(false));

        var sumFile = image + ".sha256";
        if (File.Exists(sumFile))
        {
            checks.Add(await CheckChecksumAsync(image, sumFile, ctx).ConfigureAwait(false));
        }

        return (checks, layout, firmware);
    }

    public async Task<DiskLayout> ReadLayoutAsync(string image, OperationContext ctx)
    {
        var r = (await RunAsync(ctx, "sfdisk", "--json", image).ConfigureAwait(false)).EnsureSuccess(ErrorKind.ToolFailed, "Reading the partition table");
        return DiskLayout.Parse(r.StandardOutput);
    }

    private static ImageCheck CheckTable(DiskLayout layout, ImageExpectations expected)
    {
        var problems = new List<string>();
        var root = layout.Root;
        if (root is null)
        {
            problems.Add("no Linux root partition");
        }

        var table = layout.Label == "dos" ? "Mbr" : "Gpt";
        if (expected.PartitionTable is { } t && !string.Equals(t, table, StringComparison.OrdinalIgnoreCase))
        {
            problems.Add($"table is {table}, recorded {t}");
        }

        if (expected.RootPartUuid is { } pu && root is not null && !string.Equals(pu, root.PartUuid, StringComparison.OrdinalIgnoreCase))
        {
            problems.Add($"root PARTUUID is {root.PartUuid}, recorded {pu}");
        }

        var summary = $"{table}, {layout.Partitions.Count} partition(s); root #{root?.Number} at sector {root?.StartSector}, PARTUUID {root?.PartUuid}";
        return new ImageCheck("PartitionTable", problems.Count == 0, problems.Count == 0 ? summary : string.Join("; ", problems));
    }

    internal static ImageCheck CheckFstab(string? fstab, string? fsUuid, string? recordedUuid)
    {
        if (fstab is null)
        {
            return new ImageCheck("FstabRootUuid", false, "/etc/fstab is missing in the image");
        }

        var rootLine = fstab.Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            .FirstOrDefault(f => f.Length >= 2 && f[1] == "/");
        if (rootLine is null)
        {
            return new ImageCheck("FstabRootUuid", false, "/etc/fstab has no entry for /");
        }

        var spec = rootLine[0];
        var uuid = spec.StartsWith("UUID=", StringComparison.Ordinal) ? spec[5..].Trim('"') : null;
        if (uuid is null)
        {
            return new ImageCheck("FstabRootUuid", false, $"fstab mounts / from '{spec}', not by UUID");
        }

        if (!string.Equals(uuid, fsUuid, StringComparison.OrdinalIgnoreCase))
        {
            return new ImageCheck("FstabRootUuid", false, $"fstab has UUID={uuid}, the root filesystem is {fsUuid ?? "unknown"}");
        }

        if (recordedUuid is not null && !string.Equals(uuid, recordedUuid, StringComparison.OrdinalIgnoreCase))
        {
            return new ImageCheck("FstabRootUuid", false, $"fstab and filesystem have {uuid}, recorded {recordedUuid}");
        }

        return new ImageCheck("FstabRootUuid", true, $"UUID={uuid}");
    }

    internal static async Task<ImageCheck> CheckBiosBootAsync(string image, DiskLayout layout)
    {
        await using var f = new FileStream(image, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var mbr = new byte[512];
        await f.ReadExactlyAsync(mbr).ConfigureAwait(false);
        if (mbr.AsSpan(0, 440).IndexOf("GRUB "u8) < 0)
        {
            return new ImageCheck("BiosBoot", false, "no GRUB boot code in the MBR");
        }

        var coreLba = BinaryPrimitives.ReadInt64LittleEndian(mbr.AsSpan(0x5C, 8));
        if (coreLba <= 0 || coreLba * 512 >= f.Length)
        {
            return new ImageCheck("BiosBoot", false, $"the MBR points at core image sector {coreLba}, outside the disk");
        }

        var first = new byte[512];
        f.Position = coreLba * 512;
        await f.ReadExactlyAsync(first).ConfigureAwait(false);
        var blockStart = BinaryPrimitives.ReadInt64LittleEndian(first.AsSpan(0x1F4, 8));
        var blockLength = BinaryPrimitives.ReadUInt16LittleEndian(first.AsSpan(0x1FC, 2));
        var segment = BinaryPrimitives.ReadUInt16LittleEndian(first.AsSpan(0x1FE, 2));
        if (first.AsSpan().IndexOf("loading"u8) < 0 || segment != 0x820 || blockLength == 0 || blockStart != coreLba + 1)
        {
            return new ImageCheck("BiosBoot", false, $"no valid GRUB core image at sector {coreLba} (blocklist {blockStart}+{blockLength}, segment 0x{segment:x})");
        }

        var where = layout.BiosBoot is { } bb && coreLba >= bb.StartSector && coreLba < bb.StartSector + bb.Sectors ? "BIOS boot partition" : "post-MBR gap";
        return new ImageCheck("BiosBoot", true, $"GRUB boot code in the MBR, core image at sector {coreLba} ({blockLength + 1} sectors, {where})");
    }

    private async Task<ImageCheck> CheckEfiAsync(string image, DiskPartition esp, OperationContext ctx)
    {
        var r = await RunAsync(ctx, "mtype", "-i", $"{image}@@{esp.Offset}", "::/EFI/BOOT/BOOTX64.EFI").ConfigureAwait(false);
        if (!r.Succeeded)
        {
            return new ImageCheck("EfiBoot", false, $"no EFI/BOOT/BOOTX64.EFI on the ESP: {LastLine(r.StandardError)}");
        }

        return r.StandardOutput.StartsWith("MZ", StringComparison.Ordinal)
            ? new ImageCheck("EfiBoot", true, $"EFI/BOOT/BOOTX64.EFI on the ESP (partition {esp.Number})")
            : new ImageCheck("EfiBoot", false, "EFI/BOOT/BOOTX64.EFI is not a PE binary");
    }

    private async Task<ImageCheck> CheckKernelAndGrubAsync(string fsTarget, string? grubCfg, string? fsUuid, DiskLayout layout, OperationContext ctx)
    {
        if (grubCfg is null)
        {
            return new ImageCheck("KernelAndGrubConfig", false, "/boot/grub/grub.cfg is missing in the root filesystem");
        }

        var linux = Regex.Match(grubCfg, @"^\s*linux\s+(\S+)\s*(.*)$", RegexOptions.Multiline);
        if (!linux.Success)
        {
            return new ImageCheck("KernelAndGrubConfig", false, "grub.cfg has no 'linux' line");
        }

        var kernel = linux.Groups[1].Value;
        var args = linux.Groups[2].Value;
        var stat = await RunAsync(ctx, "debugfs", "-R", $"stat {kernel}", fsTarget).ConfigureAwait(false);
        if (!stat.Succeeded || stat.StandardError.Contains("File not found", StringComparison.Ordinal))
        {
            return new ImageCheck("KernelAndGrubConfig", false, $"grub.cfg boots {kernel}, which is not in the root filesystem");
        }

        var problems = new List<string>();
        if (fsUuid is not null && !grubCfg.Contains(fsUuid, StringComparison.OrdinalIgnoreCase))
        {
            problems.Add($"grub.cfg does not search for the root filesystem's UUID {fsUuid}");
        }

        var rootArg = Regex.Match(args, @"(?:^|\s)root=(\S+)").Groups[1].Value;
        var root = layout.Root!;
        // The kernel compares PARTUUIDs ignoring case; so do we.
        var okRoot = string.Equals(rootArg, $"PARTUUID={root.PartUuid}", StringComparison.OrdinalIgnoreCase)
            || (fsUuid is not null && string.Equals(rootArg, $"UUID={fsUuid}", StringComparison.OrdinalIgnoreCase));
        if (!okRoot)
        {
            problems.Add($"root={rootArg} does not name the root partition (PARTUUID={root.PartUuid})");
        }

        return new ImageCheck("KernelAndGrubConfig", problems.Count == 0,
            problems.Count == 0 ? $"{kernel} {args}".Trim() : string.Join("; ", problems));
    }

    private static async Task<ImageCheck> CheckChecksumAsync(string image, string sumFile, OperationContext ctx)
    {
        var line = (await File.ReadAllTextAsync(sumFile, ctx.Cancellation).ConfigureAwait(false)).Trim();
        var expected = line.Split(' ', 2)[0].ToLowerInvariant();
        await using var f = new FileStream(image, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        var actual = Convert.ToHexString(await SHA256.HashDataAsync(f, ctx.Cancellation).ConfigureAwait(false)).ToLowerInvariant();
        return new ImageCheck("Checksum", expected == actual,
            expected == actual ? $"sha256 {actual} matches {Path.GetFileName(sumFile)}" : $"sha256 is {actual}, {Path.GetFileName(sumFile)} says {expected}");
    }

    private async Task<string?> FilesystemUuidAsync(string fsTarget, OperationContext ctx)
    {
        var r = await RunAsync(ctx, "dumpe2fs", "-h", fsTarget).ConfigureAwait(false);
        var m = Regex.Match(r.StandardOutput, @"^Filesystem UUID:\s+(\S+)", RegexOptions.Multiline);
        return m.Success ? m.Groups[1].Value : null;
    }

    /// <summary>A file's content from the ext4 filesystem, or null when it is not there.</summary>
    public async Task<string?> CatAsync(string fsTarget, string pathInFs, OperationContext ctx)
    {
        var r = await RunAsync(ctx, "debugfs", "-R", $"cat {pathInFs}", fsTarget).ConfigureAwait(false);
        return r.Succeeded && !r.StandardError.Contains("File not found", StringComparison.Ordinal) ? r.StandardOutput : null;
    }

    private Task<ProcessResult> RunAsync(OperationContext ctx, string tool, params string[] args) =>
        _runner.RunAsync(new ProcessSpec(tool, args) { Environment = new Dictionary<string, string?> { ["LC_ALL"] = "C" } }, ctx.Cancellation);

    private static string LastLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? string.Empty;
}
