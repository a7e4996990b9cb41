using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Image;

/// <summary>
/// Writes a bootable disk image from a root directory without loop devices or mounts: the
/// partition table with sfdisk on the file, the root file system with <c>mkfs.ext4 -d</c> at the
/// partition's offset, an ESP with <c>mkfs.vfat --offset</c> and mtools, and GRUB's BIOS boot code
/// and core image written by <see cref="GrubBoot"/> (what grub-bios-setup would do).
/// </summary>
public static class DiskImageBuilder
{
    private const long MiB = 1024 * 1024;
    private const long SectorsPerMiB = MiB / 512;
    private const long EspSectors = 100 * SectorsPerMiB;

    public const string BiosBootType = "21686148-6449-6E6F-744E-656564454649";
    public const string EspType = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B";
    public const string LinuxRootX8664Type = "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709";

    /// <summary>GRUB modules in the BIOS core image (those the module directory has).</summary>
    public static readonly string[] BiosModules =
    {
        "biosdisk", "part_msdos", "part_gpt", "ext2", "fat", "normal", "search", "search_fs_uuid", "search_label",
        "linux", "echo", "serial", "terminal", "configfile", "test", "boot", "sleep", "ls", "cat", "halt", "reboot", "minicmd", "gzio",
    };

    /// <summary>GRUB modules in BOOTX64.EFI.</summary>
    public static readonly string[] EfiModules =
    {
        "part_msdos", "part_gpt", "fat", "ext2", "normal", "search", "search_fs_uuid", "search_label", "linux", "echo", "serial",
        "terminal", "configfile", "test", "boot", "efi_gop", "efi_uga", "sleep", "ls", "cat", "halt", "reboot", "minicmd", "gzio",
    };

    /// <summary>The work directory in /tmp: gi-image-&lt;owner tag&gt;.</summary>
    public const string WorkPrefix = "gi-image-";

    private static readonly Regex s_tempImage = new(@"^\..+\.o[0-9]+_[0-9]+-[0-9a-f]{8}\.tmp(\.qcow2)?$", RegexOptions.CultureInvariant);
    private static readonly Regex s_work = new("^" + WorkPrefix + @"o[0-9]+_[0-9]+-[0-9a-f]{8}$", RegexOptions.CultureInvariant);

    /// <summary>
    /// Removes what killed New-RawDiskImage runs left (their owner process no longer runs): hidden
    /// temporary images and sidecars beside <paramref name="imagePath"/>, gi-image-* work
    /// directories in /tmp, and staging trees of <paramref name="rootPath"/>.
    /// </summary>
    public static IReadOnlyList<string> RemoveLeftovers(string imagePath, string? rootPath, OperationContext ctx)
    {
        var removed = new List<string>();
        if (Path.GetDirectoryName(Path.GetFullPath(imagePath)) is { } dir)
        {
            removed.AddRange(Leftovers.Sweep(dir, s_tempImage, ctx.Verbose));
        }

        removed.AddRange(Leftovers.Sweep(Path.GetTempPath(), s_work, ctx.Verbose));
        if (!string.IsNullOrEmpty(rootPath))
        {
            removed.AddRange(Leftovers.SweepRoot(rootPath, ctx.Verbose));
        }

        return removed;
    }

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

        var table = request.PartitionTable ?? (request.Firmware == BootFirmware.Bios ? PartitionTableKind.Mbr : PartitionTableKind.Gpt);
        var gpt = table == PartitionTableKind.Gpt;
        var bios = request.Firmware is BootFirmware.Bios or BootFirmware.Hybrid;
        var efi = request.Firmware is BootFirmware.Uefi or BootFirmware.Hybrid;

        var diskId = gpt ? Guid.NewGuid().ToString() : RandomHex32();
        var parts = new List<ImagePartition>();
        var next = SectorsPerMiB;
        if (gpt && bios)
        {
            parts.Add(new ImagePartition { Number = 14, Role = "bios-boot", StartSector = next, SizeSectors = SectorsPerMiB, Type = BiosBootType, PartUuid = Guid.NewGuid().ToString() });
            next += SectorsPerMiB;
        }

        if (efi)
        {
            var n = gpt ? 15 : 2;
            parts.Add(new ImagePartition { Number = n, Role = "esp", StartSector = next, SizeSectors = EspSectors, Type = gpt ? EspType : "ef", PartUuid = gpt ? Guid.NewGuid().ToString() : $"{diskId}-{n:x2}" });
            next += EspSectors;
        }

        // The root partition is number 1 and the last one, so growpart can grow it to a bigger disk.
        var rootPartUuid = gpt ? Guid.NewGuid().ToString() : $"{diskId}-01";
        parts.Add(new ImagePartition { Number = 1, Role = "root", StartSector = next, SizeSectors = 0, Type = gpt ? LinuxRootX8664Type : "83", PartUuid = rootPartUuid });

        var lead = next * 512;
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
            EspVolumeId = efi ? RandomHex32().ToUpperInvariant().Insert(4, "-") : null,
            Kernel = kernel,
            Initramfs = initrd,
            CommandLine = cmdline.ToString(),
            Excluded = scan.Excluded,
            HasMountsBelow = scan.HasMountsBelow,
        };
    }

    /// <summary>Plans and builds in one call.</summary>
    public static DiskImage Build(DiskImageRequest request, OperationContext ctx, BuildRoot? buildRoot = null) =>
        Build(Plan(request, ctx), ctx, buildRoot);

    /// <summary>
    /// Writes the planned image. It is written under a temporary name beside the target and renamed
    /// at the end; on failure or cancellation nothing is left behind. With <paramref name="buildRoot"/>
    /// the step is recorded in its history.
    /// </summary>
    public static DiskImage Build(DiskImageLayout layout, OperationContext ctx, BuildRoot? buildRoot = null)
    {
        Privilege.RequireRoot("New-RawDiskImage", "the image keeps the root's owners and device nodes");
        var step = StepRecorder.Start(buildRoot, "New-RawDiskImage", ctx.Cancellation, ctx.Warning);
        DiskImage image;
        try
        {
            image = new Writer(layout, ctx).Run();
        }
        catch (Exception ex)
        {
            step.Failed(ex);
            throw;
        }

        step.Succeeded(
            $"{image.Path} ({image.VirtualSize / MiB} MiB, {image.PartitionTable}, {image.Firmware})",
            new Dictionary<string, string>
            {
                ["Path"] = image.Path,
                ["Sha256"] = image.Sha256,
                ["RootUuid"] = image.RootUuid,
                ["Kernel"] = image.Kernel,
                ["CommandLine"] = image.CommandLine,
            });
        return image;
    }

    /// <summary>The grub.cfg written to /boot/grub/grub.cfg in the image.</summary>
    public static string RenderGrubConfig(DiskImageLayout layout)
    {
        var serial = layout.Request.Console.Select(c => c.Trim()).FirstOrDefault(c => c.StartsWith("ttyS", StringComparison.Ordinal));
        var unit = 0;
        var speed = 115200;
        if (serial is not null)
        {
            var m = System.Text.RegularExpressions.Regex.Match(serial, @"^ttyS(\d+)(,(\d+))?");
            unit = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            if (m.Groups[3].Success)
            {
                speed = int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
            }
        }

        var sb = new StringBuilder();
        sb.Append("# Written by New-RawDiskImage.\n");
        sb.Append(CultureInfo.InvariantCulture, $"serial --unit={unit} --speed={speed} --word=8 --parity=no --stop=1\n");
        sb.Append("terminal_input console serial\nterminal_output console serial\n");
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

    /// <summary>The /etc/fstab written into the image (the root's own lines for other mount points are kept).</summary>
    public static string RenderFstab(DiskImageLayout layout, string? original)
    {
        var sb = new StringBuilder("# /etc/fstab: written by New-RawDiskImage.\n");
        sb.Append(CultureInfo.InvariantCulture, $"UUID={layout.RootUuid}\t/\text4\tdefaults,noatime\t0 1\n");
        if (layout.EspVolumeId is not null)
        {
            sb.Append(CultureInfo.InvariantCulture, $"UUID={layout.EspVolumeId}\t/efi\tvfat\tumask=0077,noauto,nofail\t0 2\n");
        }

        foreach (var line in (original ?? string.Empty).Split('\n'))
        {
            var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 2 && !fields[0].StartsWith('#') && fields[1] is not ("/" or "/efi" or "/boot/efi" or "/boot"))
            {
                sb.Append(line.TrimEnd()).Append('\n');
            }
        }

        return sb.ToString();
    }

    internal static string EarlyConfig(DiskImageLayout layout) =>
        $"search --no-floppy --fs-uuid --set=root {layout.RootUuid}\nset prefix=($root)/boot/grub\n";

    private static long RoundUpMiB(long bytes) => (bytes + MiB - 1) / MiB * MiB;

    private static string RandomHex32()
    {
        uint v;
        do
        {
            v = (uint)RandomNumberGenerator.GetInt32(int.MinValue, int.MaxValue) ^ (uint)RandomNumberGenerator.GetInt32(2);
        }
        while (v == 0);
        return v.ToString("x8", CultureInfo.InvariantCulture);
    }

    /// <summary>One build: the temp names, what is cleaned up, the steps in order.</summary>
    private sealed class Writer
    {
        private const string Activity = "Writing the disk image";
        private readonly DiskImageLayout _l;
        private readonly OperationContext _ctx;
        private readonly IProcessRunner _run = ProcessRunner.Instance;
        private readonly string _tmp;
        private readonly string _work;
        private string? _staging;
        private readonly List<string> _tempFiles = new();

        public Writer(DiskImageLayout layout, OperationContext ctx)
        {
            _l = layout;
            _ctx = ctx;
            var dir = Path.GetDirectoryName(layout.Request.ImagePath)!;
            var name = Path.GetFileName(layout.Request.ImagePath);
            // Named for this process (OwnerTag), so the next run removes them if this one is killed.
            // Ends in a letter, so sfdisk names the partitions <file>1, <file>2 (not <file>p1).
            _tmp = Path.Combine(dir, $".{name}.{OwnerTag.UniqueName(string.Empty)}.tmp");
            _work = Path.Combine(Path.GetTempPath(), OwnerTag.UniqueName(WorkPrefix));
        }

        public DiskImage Run()
        {
            var req = _l.Request;
            var done = false;
            try
            {
                RemoveLeftovers(req.ImagePath, req.RootPath, _ctx);
                Directory.CreateDirectory(_work);
                Step("Creating the sparse image file", 1);
                if (File.Exists(req.ImagePath) && !req.Force)
                {
                    throw new GentooImageException(ErrorKind.ImageExists, $"The image '{req.ImagePath}' already exists. Remove it, choose another -Path, or use -Force to replace it.", req.ImagePath);
                }

                _tempFiles.Add(_tmp);
                using (var fs = new FileStream(_tmp, FileMode.CreateNew, FileAccess.Write))
                {
                    fs.SetLength(_l.SizeBytes);
                }

                Step("Writing the partition table", 3);
                var table = WritePartitionTable();
                var root = table.Single(p => p.Number == 1);

                // An unmounted root goes to mkfs.ext4 as it is and the few excluded or replaced paths
                // are fixed up with debugfs; a mounted one (or one with much to leave out) goes
                // through a staging tree of hard links.
                var fixups = DirectFixups();
                if (fixups is null)
                {
                    Step("Staging the root's files", 5);
                    StageRoot();
                }

                Step($"Creating the ext4 file system ({_l.UsedBytes / MiB} MiB of files)", 10);
                MakeRootFileSystem(root.Start, root.Size, fixups is null ? _staging! : _l.Request.RootPath);
                if (fixups is null)
                {
                    RemoveStaging();
                }
                else
                {
                    Step("Writing fstab and grub.cfg into the file system", 65);
                    ApplyFixups(root.Start, fixups);
                }

                var biosBoot = _l.Request.Firmware is BootFirmware.Bios or BootFirmware.Hybrid;
                var efi = _l.Request.Firmware is BootFirmware.Uefi or BootFirmware.Hybrid;
                if (efi)
                {
                    Step("Creating the EFI system partition", 70);
                    var esp = table.Single(p => p.Number == _l.Esp!.Number);
                    MakeEsp(esp.Start, esp.Size);
                }

                if (biosBoot)
                {
                    Step("Installing GRUB's BIOS boot code", 72);
                    InstallBiosGrub(table);
                }

                var final = _tmp;
                if (req.Format == DiskImageFormat.Qcow2)
                {
                    Step("Converting to qcow2", 75);
                    final = _tmp + ".qcow2";
                    _tempFiles.Add(final);
                    var args = new List<string> { "convert", "-f", "raw", "-O", "qcow2" };
                    if (req.Compress)
                    {
                        args.Add("-c");
                    }

                    args.Add(_tmp);
                    args.Add(final);
                    Tool(new ProcessSpec("qemu-img", args), "qemu-img convert");
                    File.Delete(_tmp);
                }

                var withSha512 = req.Checksums.Contains(ImageChecksum.Sha512);
                Step(withSha512 ? "Computing checksums" : "Computing the checksum", 80);
                var (sha256, sha512) = Hash(final, withSha512);
                var glance = GlanceProperties();
                var imageName = Path.GetFileName(req.ImagePath);
                _ctx.ThrowIfCancelled("writing the image");
                WriteSidecar(req.ImagePath + ".sha256", $"{sha256}  {imageName}\n");
                var json = new Dictionary<string, object>();
                foreach (var (k, v) in glance)
                {
                    json[k] = k == "min_disk" ? int.Parse(v, CultureInfo.InvariantCulture) : v;
                }

                WriteSidecar(req.ImagePath + ".glance.json", JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true }) + "\n");
                AtomicFile.Commit(final, req.ImagePath, overwrite: req.Force);
                _tempFiles.Clear();
                done = true;
                _ctx.Report(new ProgressReport(Activity, "Done", 100, 0, true));

                var allocated = FileCalls.LStat(req.ImagePath).Blocks * 512;
                return new DiskImage
                {
                    Path = req.ImagePath,
                    Format = req.Format,
                    VirtualSize = _l.SizeBytes,
                    AllocatedSize = allocated,
                    PartitionTable = _l.PartitionTable,
                    Firmware = req.Firmware,
                    RootUuid = _l.RootUuid,
                    RootPartUuid = _l.Root.PartUuid,
                    Kernel = _l.Kernel,
                    Initramfs = _l.Initramfs,
                    CommandLine = _l.CommandLine,
                    Sha256 = sha256,
                    Sha512 = sha512,
                    GlanceProperties = glance,
                    UploadCommand = UploadCommand(glance),
                };
            }
            catch (OperationCanceledException ex)
            {
                throw OperationContext.Cancelled("writing the image", ex);
            }
            catch (IOException ex) when (ex.HResult == 28 || ex.Message.Contains("No space left", StringComparison.Ordinal))
            {
                throw NoSpace(ex);
            }
            finally
            {
                Cleanup(done);
            }
        }

        private GentooImageException NoSpace(Exception? inner) => new(
            ErrorKind.ImageBuildFailed,
            $"No space left while writing '{_l.Request.ImagePath}' (it needs up to {_l.UsedBytes * 11 / 10 / MiB} MiB of real space for {_l.SizeBytes / MiB} MiB virtual). Free space in '{Path.GetDirectoryName(_l.Request.ImagePath)}' or write the image elsewhere; nothing was left behind.",
            _l.Request.ImagePath,
            inner);

        private void Step(string status, int percent)
        {
            _ctx.ThrowIfCancelled(status);
            _ctx.Report(new ProgressReport(Activity, status, percent));
            _ctx.Verbose(status);
        }

        private ProcessResult Tool(ProcessSpec spec, string what)
        {
            _ctx.ThrowIfCancelled(what);
            _ctx.Verbose(spec.Display);
            var result = _run.RunAsync(spec, _ctx.Cancellation).GetAwaiter().GetResult();
            if (!result.Succeeded && (result.StandardError + result.StandardOutput).Contains("No space left on device", StringComparison.Ordinal))
            {
                throw NoSpace(null);
            }

            return result.EnsureSuccess(ErrorKind.ImageBuildFailed, what);
        }

        private List<(int Number, long Start, long Size)> WritePartitionTable()
        {
            var gpt = _l.PartitionTable == PartitionTableKind.Gpt;
            var sb = new StringBuilder();
            sb.Append(gpt ? "label: gpt\n" : "label: dos\n");
            sb.Append(CultureInfo.InvariantCulture, $"label-id: {(gpt ? _l.DiskId : "0x" + _l.DiskId)}\n");
            foreach (var p in _l.Partitions)
            {
                sb.Append(CultureInfo.InvariantCulture, $"{_tmp}{p.Number} : start={p.StartSector}");
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
                else if (p.Role == "root" && _l.Request.Firmware != BootFirmware.Uefi)
                {
                    sb.Append(", bootable");
                }

                sb.Append('\n');
            }

            Tool(new ProcessSpec("sfdisk", "--no-reread", "--no-tell-kernel", "-q", _tmp) { StandardInput = sb.ToString() }, "sfdisk");
            var json = Tool(new ProcessSpec("sfdisk", "--json", _tmp), "sfdisk --json").StandardOutput;
            return DiskLayout.Parse(json).Partitions.Select(p => (p.Number, p.StartSector, p.Sectors)).ToList();
        }

        private void StageRoot()
        {
            var root = _l.Request.RootPath;
            var parent = Path.GetDirectoryName(root);
            var rootDev = FileCalls.LStat(root).Dev;

            // Hard links need the staging tree on the root's file system: beside the root when the
            // parent is on it, else inside the root (the walk skips it there).
            var name = OwnerTag.UniqueName(RootTree.StagingPrefix);
            _staging = parent is not null && FileCalls.TryLStat(parent, out var ps) && ps.Dev == rootDev
                ? Path.Combine(parent, name)
                : Path.Combine(root, name);
            var replaced = new HashSet<string>(StringComparer.Ordinal) { "/etc/fstab", "/boot/grub/grub.cfg" };
            RootTree.Stage(root, _staging, replaced, _ctx);

            var original = File.Exists(root + "/etc/fstab") ? File.ReadAllText(root + "/etc/fstab") : null;
            WriteStaged("/etc/fstab", RenderFstab(_l, original));
            WriteStaged("/boot/grub/grub.cfg", RenderGrubConfig(_l));
            if (_l.EspVolumeId is not null && !Directory.Exists(_staging + "/efi"))
            {
                EnsureDir(_staging + "/efi");
            }
        }

        private void WriteStaged(string rel, string content)
        {
            var path = _staging + rel;
            var dir = Path.GetDirectoryName(path)!;
            EnsureDir(dir);
            var dirStat = FileCalls.LStat(dir);

            // The staged entry is a hard link of the root's own file, or a symlink the root holds:
            // unlink it and create a new file (O_EXCL), never write through it.
            if (File.Exists(path) || new FileInfo(path).LinkTarget is not null)
            {
                File.Delete(path);
            }

            using (var f = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                f.Write(Encoding.UTF8.GetBytes(content));
            }

            FileCalls.Chmod(path, 0x1A4); // 0644
            FileCalls.SetTimes(dir, dirStat);
        }

        /// <summary>Makes <paramref name="path"/> a real directory of the staging tree: a staged symlink on the way is replaced, never followed (it may point at a host path).</summary>
        private void EnsureDir(string path)
        {
            if (path.Length <= _staging!.Length)
            {
                return;
            }

            var info = new DirectoryInfo(path);
            if (info.LinkTarget is not null)
            {
                _ctx.Warning($"{path[_staging.Length..]} is a symlink in the root; the image gets a real directory there for the files GentooImage writes.");
                File.Delete(path);
            }
            else if (info.Exists)
            {
                return;
            }

            EnsureDir(Path.GetDirectoryName(path)!);
            FileCalls.Mkdir(path, 0x1ED); // 0755
            FileCalls.Chmod(path, 0x1ED);
        }

        /// <summary>Deletions for the direct mode, or null when the root needs a staging tree.</summary>
        private List<(string Rel, bool IsDir)>? DirectFixups()
        {
            if (_l.HasMountsBelow)
            {
                return null;
            }

            var (entries, bytes) = RootTree.ExcludedEntries(_l.Request.RootPath, _l.Excluded);
            if (bytes > 64 * MiB || entries.Any(e => !DebugfsSafe(e.Rel)))
            {
                return null;
            }

            return entries;
        }

        private static bool DebugfsSafe(string rel) => !rel.Any(c => c is '"' or '\\' or '\n' or '\r' or '\t');

        private void ApplyFixups(long startSector, List<(string Rel, bool IsDir)> deletions)
        {
            var root = _l.Request.RootPath;
            var cmds = new StringBuilder();
            foreach (var (rel, isDir) in deletions)
            {
                cmds.Append(isDir ? "rmdir" : "rm").Append(" \"").Append(rel).Append("\"\n");
            }

            void Put(string dirRel, string name, string content)
            {
                var local = Path.Combine(_work, name);
                File.WriteAllText(local, content);
                if (!Directory.Exists(root + dirRel))
                {
                    cmds.Append("mkdir \"").Append(dirRel).Append("\"\n");
                }

                cmds.Append("cd \"").Append(dirRel).Append("\"\n");
                if (FileCalls.TryLStat(root + dirRel + "/" + name, out _))
                {
                    cmds.Append("rm ").Append(name).Append('\n');
                }

                cmds.Append("write \"").Append(local).Append("\" ").Append(name).Append('\n');
                cmds.Append("sif ").Append(name).Append(" mode 0100644\n");
                cmds.Append("sif ").Append(name).Append(" uid 0\n");
                cmds.Append("sif ").Append(name).Append(" gid 0\n");
                cmds.Append("cd /\n");
            }

            var original = File.Exists(root + "/etc/fstab") ? File.ReadAllText(root + "/etc/fstab") : null;
            Put("/etc", "fstab", RenderFstab(_l, original));
            Put("/boot/grub", "grub.cfg", RenderGrubConfig(_l));
            if (_l.EspVolumeId is not null && !Directory.Exists(root + "/efi"))
            {
                cmds.Append("mkdir /efi\n");
            }

            var cmdFile = Path.Combine(_work, "fixups.debugfs");
            File.WriteAllText(cmdFile, cmds.ToString());
            var r = Tool(new ProcessSpec("debugfs", "-w", "-f", cmdFile, $"{_tmp}?offset={startSector * 512}") { Environment = new Dictionary<string, string?> { ["LC_ALL"] = "C" } }, "debugfs");

            // debugfs exits 0 even when a command fails; its complaints go to stderr.
            var errors = r.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Where(l => !l.StartsWith("debugfs ", StringComparison.Ordinal) && !l.StartsWith("Allocated inode", StringComparison.Ordinal))
                .ToList();
            if (errors.Count > 0)
            {
                throw new GentooImageException(ErrorKind.ImageBuildFailed, $"debugfs could not adjust the image's file system: {string.Join("; ", errors.Take(5))}", _l.Request.ImagePath);
            }
        }

        private void MakeRootFileSystem(long startSector, long sizeSectors, string source)
        {
            var args = new List<string> { "-q", "-F", "-t", "ext4", "-d", source, "-L", _l.Request.Label, "-U", _l.RootUuid, "-E", $"offset={startSector * 512}" };

            // mke2fs gives one inode per 16 KiB: a root of many small files (a Portage tree) needs more.
            var inodes = (long)(_l.EntryCount * 1.3) + 4096;
            if (inodes > sizeSectors * 512 / 16384)
            {
                args.Add("-N");
                args.Add(inodes.ToString(CultureInfo.InvariantCulture));
            }

            args.Add(_tmp);
            args.Add($"{sizeSectors / 2}k");
            var spec = new ProcessSpec("mkfs.ext4", args);
            _ctx.Verbose(spec.Display);
            _ctx.ThrowIfCancelled("mkfs.ext4");
            var r = _run.RunAsync(spec, _ctx.Cancellation).GetAwaiter().GetResult();
            if (!r.Succeeded)
            {
                var err = r.StandardError + r.StandardOutput;
                if (err.Contains("No space left on device", StringComparison.Ordinal))
                {
                    throw NoSpace(null);
                }

                if (err.Contains("Could not allocate", StringComparison.Ordinal) || err.Contains("ext2 filesystem is full", StringComparison.OrdinalIgnoreCase))
                {
                    throw new GentooImageException(
                        ErrorKind.ImageTooSmall,
                        $"The root's files do not fit in a {sizeSectors / 2048} MiB root file system (image {_l.SizeBytes / MiB} MiB). Give a bigger -Size (at least {(_l.SizeBytes + (_l.UsedBytes / 5)) / MiB}MB) or leave -Size out.",
                        _l.Request.ImagePath);
                }

                r.EnsureSuccess(ErrorKind.ImageBuildFailed, "mkfs.ext4");
            }
        }

        private void RemoveStaging()
        {
            if (_staging is not null && Directory.Exists(_staging))
            {
                Directory.Delete(_staging, recursive: true);
            }

            _staging = null;
        }

        private string GrubDir(string platform, string package)
        {
            var inRoot = $"{_l.Request.RootPath}/usr/lib/grub/{platform}";
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

        private string MakeGrubImage(string format, string platform, string package, IEnumerable<string> modules, string output)
        {
            var dir = GrubDir(platform, package);
            var cfg = Path.Combine(_work, "early.cfg");
            File.WriteAllText(cfg, EarlyConfig(_l));
            var args = new List<string> { "-O", format, "-d", dir, "-c", cfg, "-p", "/boot/grub", "-o", output };
            args.AddRange(modules.Where(m => File.Exists(Path.Combine(dir, m + ".mod"))));
            Tool(new ProcessSpec("grub-mkimage", args), "grub-mkimage");
            return dir;
        }

        private void MakeEsp(long startSector, long sizeSectors)
        {
            var vol = _l.EspVolumeId!.Replace("-", string.Empty, StringComparison.Ordinal);
            Tool(new ProcessSpec("mkfs.vfat", "-F", "32", "-S", "512", "-s", "1", "-n", "EFI", "-i", vol, "--offset", startSector.ToString(CultureInfo.InvariantCulture), _tmp, (sizeSectors / 2).ToString(CultureInfo.InvariantCulture)), "mkfs.vfat");
            var efi = Path.Combine(_work, "BOOTX64.EFI");
            MakeGrubImage("x86_64-efi", "x86_64-efi", "grub-efi-amd64-bin", EfiModules, efi);
            var target = $"{_tmp}@@{startSector * 512}";
            var env = new Dictionary<string, string?> { ["MTOOLS_SKIP_CHECK"] = "1" };
            Tool(new ProcessSpec("mmd", "-i", target, "::/EFI", "::/EFI/BOOT") { Environment = env }, "mmd");
            Tool(new ProcessSpec("mcopy", "-i", target, efi, "::/EFI/BOOT/BOOTX64.EFI") { Environment = env }, "mcopy");
        }

        private void InstallBiosGrub(List<(int Number, long Start, long Size)> table)
        {
            var core = Path.Combine(_work, "core.img");
            var dir = MakeGrubImage("i386-pc", "i386-pc", "grub-pc-bin", BiosModules, core);
            var coreBytes = File.ReadAllBytes(core);
            var sectors = (coreBytes.Length + 511) / 512;
            long lba, room;
            if (_l.PartitionTable == PartitionTableKind.Gpt)
            {
                var bb = table.Single(p => p.Number == _l.Partitions.Single(x => x.Role == "bios-boot").Number);
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
            using var fs = new FileStream(_tmp, FileMode.Open, FileAccess.ReadWrite);
            var mbr = new byte[512];
            fs.ReadExactly(mbr);
            fs.Position = 0;
            fs.Write(GrubBoot.PatchMbr(bootImg, mbr, lba));
            fs.Position = lba * 512;
            fs.Write(GrubBoot.PatchCore(coreBytes, lba));
        }

        /// <summary>SHA-256 (and SHA-512 when asked for) in one read; the next block is read while the last one is hashed.</summary>
        private (string, string?) Hash(string path, bool withSha512)
        {
            using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using var sha512 = withSha512 ? IncrementalHash.CreateHash(HashAlgorithmName.SHA512) : null;
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            var length = fs.Length;
            var bufs = new[] { new byte[4 * MiB], new byte[4 * MiB] };
            var cur = 0;
            var n = fs.Read(bufs[cur]);
            long total = 0;
            var lastReport = 0;
            while (n > 0)
            {
                _ctx.ThrowIfCancelled("computing checksums");
                var buf = bufs[cur];
                var len = n;
                var t256 = Task.Run(() => sha256.AppendData(buf, 0, len));
                var t512 = sha512 is null ? Task.CompletedTask : Task.Run(() => sha512.AppendData(buf, 0, len));
                cur ^= 1;
                n = fs.Read(bufs[cur]);
                Task.WaitAll(t256, t512);
                total += len;
                var pct = (int)(80 + (19 * total / Math.Max(1, length)));
                if (pct != lastReport)
                {
                    lastReport = pct;
                    _ctx.Report(new ProgressReport(Activity, "Computing checksums", pct));
                }
            }

            return (Convert.ToHexString(sha256.GetHashAndReset()).ToLowerInvariant(),
                sha512 is null ? null : Convert.ToHexString(sha512.GetHashAndReset()).ToLowerInvariant());
        }

        private Dictionary<string, string> GlanceProperties() => new()
        {
            ["disk_format"] = _l.Request.Format == DiskImageFormat.Qcow2 ? "qcow2" : "raw",
            ["container_format"] = "bare",
            ["min_disk"] = ((_l.SizeBytes + (1L << 30) - 1) >> 30).ToString(CultureInfo.InvariantCulture),
            ["os_distro"] = "gentoo",
            ["os_type"] = "linux",
            ["architecture"] = "x86_64",
            ["hw_disk_bus"] = "virtio",
            ["hw_vif_model"] = "virtio",
            ["hw_firmware_type"] = _l.Request.Firmware == BootFirmware.Uefi ? "uefi" : "bios",
        };

        private string UploadCommand(Dictionary<string, string> g)
        {
            var args = new List<string>
            {
                "openstack", "image", "create",
                "--disk-format", g["disk_format"], "--container-format", g["container_format"], "--min-disk", g["min_disk"],
            };
            foreach (var k in new[] { "os_distro", "os_type", "architecture", "hw_disk_bus", "hw_vif_model", "hw_firmware_type" })
            {
                args.Add("--property");
                args.Add($"{k}={g[k]}");
            }

            args.Add("--file");
            args.Add(_l.Request.ImagePath);
            args.Add(Path.GetFileNameWithoutExtension(_l.Request.ImagePath));
            return new ProcessSpec(args[0], args.Skip(1).ToArray()).Display;
        }

        private static void WriteSidecar(string path, string content) => AtomicFile.WriteText(path, content);

        private void Cleanup(bool done)
        {
            try
            {
                RemoveStaging();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _ctx.Warning($"Could not remove the staging tree '{_staging}': {ex.Message}. Remove it by hand.");
            }

            foreach (var f in _tempFiles)
            {
                TryDelete(f);
            }

            if (!done)
            {
                // Sidecars written for an image that never arrived would describe the wrong file.
                var req = _l.Request;
                if (!File.Exists(req.ImagePath))
                {
                    TryDelete(req.ImagePath + ".sha256");
                    TryDelete(req.ImagePath + ".glance.json");
                }
            }

            try
            {
                Directory.Delete(_work, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A temp directory; nothing the user sees.
            }
        }

        private static void TryDelete(string path)
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Best effort during cleanup.
            }
        }
    }
}
