using System.Diagnostics;
using System.Text.Json;
using GentooImage.Engine.Image;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;
using GentooImage.TestSupport;

namespace GentooImage.Engine.Tests;

/// <summary>New-RawDiskImage's engine on a real fixture root, checked with real tools (sfdisk, e2fsck, debugfs, mtools).</summary>
public class DiskImageBuilderTests : IClassFixture<ImageTestRoot>
{
    private readonly ImageTestRoot _fx;

    public DiskImageBuilderTests(ImageTestRoot fx) => _fx = fx;

    public static TheoryData<BootFirmware, PartitionTableKind> Combos => new()
    {
        { BootFirmware.Bios, PartitionTableKind.Mbr },
        { BootFirmware.Bios, PartitionTableKind.Gpt },
        { BootFirmware.Uefi, PartitionTableKind.Gpt },
        { BootFirmware.Uefi, PartitionTableKind.Mbr },
        { BootFirmware.Hybrid, PartitionTableKind.Gpt },
        { BootFirmware.Hybrid, PartitionTableKind.Mbr },
    };

    private DiskImageRequest Request(string name, BootFirmware fw = BootFirmware.Bios, PartitionTableKind? table = null) => new()
    {
        RootPath = _fx.Root,
        ImagePath = Path.Combine(_fx.Out, name),
        Firmware = fw,
        PartitionTable = table,
    };

    [Theory]
    [MemberData(nameof(Combos))]
    public async Task BuildsACheckableBootableImage(BootFirmware fw, PartitionTableKind table)
    {
        var fstabBefore = File.ReadAllText(Path.Combine(_fx.Root, "etc/fstab"));
        // SHA-512 only when asked for (here: the Hybrid images); SHA-256 always.
        var withSha512 = fw == BootFirmware.Hybrid;
        var request = Request($"{fw}-{table}.img", fw, table);
        if (withSha512)
        {
            request = request with { Checksums = new[] { ImageChecksum.Sha256, ImageChecksum.Sha512 } };
        }

        var img = DiskImageBuilder.Build(request, OperationContext.None);
        var path = img.Path;

        // Partition table read back.
        using var doc = JsonDocument.Parse(Tool("sfdisk", "--json", path));
        var pt = doc.RootElement.GetProperty("partitiontable");
        Assert.Equal(table == PartitionTableKind.Gpt ? "gpt" : "dos", pt.GetProperty("label").GetString());
        var parts = pt.GetProperty("partitions").EnumerateArray().ToList();
        var rootPart = parts.Single(p => p.GetProperty("node").GetString() == path + "1");
        var rootOffset = rootPart.GetProperty("start").GetInt64() * 512;
        var hasBiosBoot = parts.Any(p => p.GetProperty("type").GetString() == DiskPartition.BiosBootGuid);
        var esp = parts.SingleOrDefault(p => p.GetProperty("type").GetString() is DiskPartition.EspGuid or "ef");
        Assert.Equal(fw != BootFirmware.Bios, esp.ValueKind != JsonValueKind.Undefined);
        Assert.Equal(fw != BootFirmware.Uefi && table == PartitionTableKind.Gpt, hasBiosBoot);
        if (table == PartitionTableKind.Mbr)
        {
            Assert.Equal($"0x{img.RootPartUuid[..8]}", pt.GetProperty("id").GetString());
            Assert.EndsWith("-01", img.RootPartUuid);
        }
        else
        {
            Assert.Equal(img.RootPartUuid, rootPart.GetProperty("uuid").GetString(), ignoreCase: true);
        }

        // The root file system is clean and has the right UUID and label.
        var dev = $"{path}?offset={rootOffset}";
        var (code, fsck) = RunRaw("e2fsck", "-fn", dev);
        Assert.True(code == 0, fsck);
        var super = Tool("dumpe2fs", "-h", dev);
        Assert.Contains(img.RootUuid, super);
        Assert.Contains("cloudimg-rootfs", super);

        CompareTree(dev);

        // fstab and grub.cfg carry the UUIDs; the root's own fstab is untouched.
        var fstab = Tool("debugfs", "-R", "cat /etc/fstab", dev);
        Assert.Contains($"UUID={img.RootUuid}\t/\text4", fstab);
        Assert.Equal(fstabBefore, File.ReadAllText(Path.Combine(_fx.Root, "etc/fstab")));
        var grubCfg = Tool("debugfs", "-R", "cat /boot/grub/grub.cfg", dev);
        Assert.Contains($"search --no-floppy --fs-uuid --set=root {img.RootUuid}", grubCfg);
        Assert.Contains($"linux /boot/vmlinuz-6.1.0-fixture root=PARTUUID={img.RootPartUuid} ro", grubCfg);
        Assert.Contains("console=tty0 console=hvc0 console=ttyS0,115200n8", grubCfg);
        Assert.Contains("if [ \"x${grub_platform}\" != xxen -a \"x${grub_platform}\" != xxen_pvh ]; then\n    serial --unit=0", grubCfg);
        Assert.Contains("serial --unit=0 --speed=115200", grubCfg);
        Assert.Equal("/boot/vmlinuz-6.1.0-fixture", img.Kernel);

        var bytes = ReadHead(path, 4 * 1024 * 1024);
        Assert.Equal(0x55, bytes[510]);
        Assert.Equal(0xAA, bytes[511]);
        if (fw != BootFirmware.Uefi)
        {
            // boot.img code with the core image's LBA, and the core image's blocklist.
            var bootImg = File.ReadAllBytes("/usr/lib/grub/i386-pc/boot.img");
            Assert.Equal(bootImg[..0x5C], bytes[..0x5C]);
            var coreLba = BitConverter.ToInt64(bytes, 0x5C);
            Assert.Equal(hasBiosBoot ? parts.Single(p => p.GetProperty("type").GetString() == DiskPartition.BiosBootGuid).GetProperty("start").GetInt64() : 1, coreLba);
            Assert.Equal(new byte[] { 0x90, 0x90 }, bytes[0x66..0x68]);
            var coreSector = bytes.AsSpan((int)(coreLba * 512), 512).ToArray();
            Assert.Equal(coreLba + 1, BitConverter.ToInt64(coreSector, 500));
            Assert.True(BitConverter.ToUInt16(coreSector, 508) > 50);
            Assert.Equal(0x820, BitConverter.ToUInt16(coreSector, 510));
            Assert.Contains(bytes.AsSpan((int)(coreLba + 1) * 512, 512).ToArray(), b => b != 0); // the (compressed) rest of core.img
        }
        else
        {
            Assert.All(bytes[..440], b => Assert.Equal(0, b));
        }

        if (fw != BootFirmware.Bios)
        {
            var espOffset = esp.GetProperty("start").GetInt64() * 512;
            var efi = Path.Combine(_fx.Dir, $"BOOTX64-{fw}-{table}.EFI");
            Tool("mcopy", "-i", $"{path}@@{espOffset}", "::/EFI/BOOT/BOOTX64.EFI", efi);
            var pe = File.ReadAllBytes(efi);
            Assert.Equal((byte)'M', pe[0]);
            Assert.Equal((byte)'Z', pe[1]);
            Assert.Contains(img.RootUuid, System.Text.Encoding.ASCII.GetString(pe));
            Assert.Contains($"UUID={FatVolumeId(path, espOffset)}\t/efi\tvfat", fstab);
            File.Delete(efi);
        }

        // Sparse, checksums verify, Glance properties.
        var fi = new FileInfo(path);
        Assert.Equal(img.VirtualSize, fi.Length);
        Assert.True(img.AllocatedSize < img.VirtualSize / 4, $"allocated {img.AllocatedSize} of {img.VirtualSize}");
        var (shaCode, shaOut) = RunRaw("sha256sum", "-c", Path.GetFileName(path) + ".sha256", workDir: _fx.Out);
        Assert.True(shaCode == 0, shaOut);
        Assert.Equal(Tool("sha256sum", path)[..64], img.Sha256);
        Assert.Equal(withSha512 ? Tool("sha512sum", path)[..128] : null, img.Sha512);
        using var glance = JsonDocument.Parse(File.ReadAllText(path + ".glance.json"));
        Assert.Equal("raw", glance.RootElement.GetProperty("disk_format").GetString());
        Assert.Equal("gentoo", glance.RootElement.GetProperty("os_distro").GetString());
        Assert.Equal(1, glance.RootElement.GetProperty("min_disk").GetInt32());
        Assert.Equal(fw == BootFirmware.Uefi ? "uefi" : "bios", glance.RootElement.GetProperty("hw_firmware_type").GetString());
        Assert.StartsWith("openstack image create --disk-format raw --container-format bare", img.UploadCommand);

        // The Boot stage's static inspector agrees (independent code reading the same image).
        var (checks, _, detected) = await new GentooImage.Engine.Boot.ImageInspector()
            .InspectAsync(path, new GentooImage.Engine.Boot.ImageExpectations(table.ToString(), img.RootUuid, img.RootPartUuid), OperationContext.None);
        // The kernel matches PARTUUID=... case-insensitively (block/early-lookup.c); the inspector on main
        // compares GPT GUIDs case-sensitively, so a case-only difference is not a failure here.
        static bool CaseOnly(string d) =>
            System.Text.RegularExpressions.Regex.Match(d, @"root=PARTUUID=(\S+) does not name the root partition \(PARTUUID=(\S+)\)") is { Success: true } m
            && string.Equals(m.Groups[1].Value, m.Groups[2].Value, StringComparison.OrdinalIgnoreCase);
        Assert.All(checks, c => Assert.True(c.Passed || CaseOnly(c.Detail), $"{c.Name}: {c.Detail}"));
        Assert.Equal(fw, detected);

        // No staging tree or temp file left behind.
        Assert.Empty(Directory.GetFileSystemEntries(_fx.Dir, ".gentooimage-stage-*"));
        Assert.Empty(Directory.GetFileSystemEntries(_fx.Out, ".*"));
        File.Delete(path);
        File.Delete(path + ".sha256");
        File.Delete(path + ".glance.json");
    }

    [Fact]
    public void AMountedRootGoesThroughStagingAndLeavesMountsOut()
    {
        var run = Path.Combine(_fx.Root, "run");
        var portage = Path.Combine(_fx.Root, "var/tmp/portage");
        Tool("mount", "-t", "tmpfs", "-o", "size=4m,mode=0755", "gi-image-run", run);
        try
        {
            Tool("mount", "-t", "tmpfs", "-o", "size=4m", "gi-image-portage", portage);
            try
            {
                File.WriteAllText(Path.Combine(run, "mounted-file"), "x");
                File.WriteAllText(Path.Combine(portage, "mounted-build"), "x");
                var img = DiskImageBuilder.Build(Request("mounted.img"), OperationContext.None);
                var start = long.Parse(Tool("sfdisk", "--json", img.Path).Split("\"start\":")[1].Split(',')[0].Trim());
                var dev = $"{img.Path}?offset={start * 512}";
                var (code, fsck) = RunRaw("e2fsck", "-fn", dev);
                Assert.True(code == 0, fsck);
                CompareTree(dev, "run/mounted-file", "var/tmp/portage/mounted-build");
                Assert.Contains($"UUID={img.RootUuid}", Tool("debugfs", "-R", "cat /etc/fstab", dev));
                Assert.Empty(Directory.GetFileSystemEntries(_fx.Dir, ".gentooimage-stage-*"));
                Assert.Empty(Directory.GetFileSystemEntries(_fx.Root, ".gentooimage-stage-*"));
                Assert.Equal("1", Tool("stat", "-c", "%h", Path.Combine(_fx.Root, "etc/gentoo-release")).Trim());
            }
            finally
            {
                Tool("umount", portage);
            }
        }
        finally
        {
            Tool("umount", run);
            foreach (var f in Directory.GetFiles(_fx.Out))
            {
                File.Delete(f);
            }
        }
    }

    [Fact]
    public void InitramfsSwitchesToRootUuidAndQcow2Converts()
    {
        var initrd = Path.Combine(_fx.Root, "boot/initramfs-6.1.0-fixture.img");
        File.WriteAllText(initrd, "fake");
        try
        {
            var req = Request("with-initrd.qcow2") with { Format = DiskImageFormat.Qcow2, Compress = true, Console = new[] { "ttyS1,38400", "hvc0" }, KernelCommandLine = "quiet" };
            var img = DiskImageBuilder.Build(req, OperationContext.None);
            Assert.Equal("/boot/initramfs-6.1.0-fixture.img", img.Initramfs);
            Assert.StartsWith($"root=UUID={img.RootUuid} ro", img.CommandLine);
            Assert.EndsWith("console=ttyS1,38400 console=hvc0 quiet", img.CommandLine);
            Assert.Contains("file format: qcow2", Tool("qemu-img", "info", img.Path));
            Assert.Equal("qcow2", JsonDocument.Parse(File.ReadAllText(img.Path + ".glance.json")).RootElement.GetProperty("disk_format").GetString());
            Assert.Empty(Directory.GetFileSystemEntries(_fx.Out, ".*"));
            foreach (var f in Directory.GetFiles(_fx.Out))
            {
                File.Delete(f);
            }
        }
        finally
        {
            File.Delete(initrd);
        }
    }

    [Fact]
    public void PlanDescribesTheLayoutAndWritesNothing()
    {
        var layout = DiskImageBuilder.Plan(Request("plan.img", BootFirmware.Hybrid), OperationContext.None);
        var text = layout.Describe();
        Assert.Contains("bios-boot", text);
        Assert.Contains("esp", text);
        Assert.Contains("/boot/vmlinuz-6.1.0-fixture", text);
        Assert.Contains("root=PARTUUID=", text);
        Assert.Equal(PartitionTableKind.Gpt, layout.PartitionTable);
        Assert.Contains("/var/lib/gentooimage", layout.Excluded);
        Assert.Contains("/proc/*", layout.Excluded);
        Assert.False(File.Exists(Path.Combine(_fx.Out, "plan.img")));
        Assert.Equal(0, layout.SizeBytes % (1024 * 1024));
    }

    [Fact]
    public void RootKernelArgumentsGoOnTheCommandLineBeforeTheCallersOwn()
    {
        var layout = DiskImageBuilder.Plan(
            Request("args.img") with { KernelArguments = new[] { "net.ifnames=0", "quiet" }, KernelCommandLine = "quiet loglevel=4" },
            OperationContext.None);
        Assert.EndsWith(" console=tty0 console=hvc0 console=ttyS0,115200n8 net.ifnames=0 quiet loglevel=4", layout.CommandLine);
        Assert.Contains("net.ifnames=0", layout.Describe());
    }

    [Fact]
    public void TooSmallSaysTheSizeNeeded()
    {
        var ex = Assert.Throws<GentooImageException>(() => DiskImageBuilder.Build(Request("small.img") with { Size = "8M" }, OperationContext.None));
        Assert.Equal(ErrorKind.ImageTooSmall, ex.Kind);
        Assert.Matches(@"at least \d+ MiB", ex.Message);
        Assert.Empty(Directory.GetFileSystemEntries(_fx.Out));
    }

    [Fact]
    public void MissingKernelIsKernelNotFound()
    {
        var ex = Assert.Throws<GentooImageException>(() => DiskImageBuilder.Plan(Request("k.img") with { Kernel = "/boot/nope" }, OperationContext.None));
        Assert.Equal(ErrorKind.KernelNotFound, ex.Kind);
        var empty = Path.Combine(_fx.Dir, "nokernel");
        Directory.CreateDirectory(Path.Combine(empty, "boot"));
        ex = Assert.Throws<GentooImageException>(() => DiskImageBuilder.Plan(Request("k.img") with { RootPath = empty }, OperationContext.None));
        Assert.Equal(ErrorKind.KernelNotFound, ex.Kind);
    }

    [Fact]
    public void ExistingImageIsRefusedUnlessForce()
    {
        var path = Path.Combine(_fx.Out, "exists.img");
        File.WriteAllText(path, "precious");
        try
        {
            var ex = Assert.Throws<GentooImageException>(() => DiskImageBuilder.Build(Request("exists.img"), OperationContext.None));
            Assert.Equal(ErrorKind.ImageExists, ex.Kind);
            Assert.Equal("precious", File.ReadAllText(path));
            var img = DiskImageBuilder.Build(Request("exists.img") with { Force = true }, OperationContext.None);
            Assert.True(new FileInfo(path).Length > 100_000_000);
            Assert.Equal(img.Path, path);
        }
        finally
        {
            foreach (var f in Directory.GetFiles(_fx.Out))
            {
                File.Delete(f);
            }
        }
    }

    [Fact]
    public void DiskFullLeavesNothingBehind()
    {
        var small = Path.Combine(_fx.Dir, "tmpfs");
        Directory.CreateDirectory(small);
        Tool("mount", "-t", "tmpfs", "-o", "size=4m", "gi-image-test", small);
        var big = Path.Combine(_fx.Root, "var/big.bin");
        File.WriteAllBytes(big, System.Security.Cryptography.RandomNumberGenerator.GetBytes(6 * 1024 * 1024));
        try
        {
            var ex = Assert.Throws<GentooImageException>(() => DiskImageBuilder.Build(Request("full.img") with { ImagePath = Path.Combine(small, "full.img") }, OperationContext.None));
            Assert.Equal(ErrorKind.ImageBuildFailed, ex.Kind);
            Assert.Contains("No space left", ex.Message);
            Assert.Empty(Directory.GetFileSystemEntries(small));
            Assert.Empty(Directory.GetFileSystemEntries(_fx.Dir, ".gentooimage-stage-*"));
        }
        finally
        {
            File.Delete(big);
            Tool("umount", small);
        }
    }

    [Fact]
    public void AFailedBuildNeverRemovesOrReplacesSidecarsItDidNotPutInPlace()
    {
        // Sidecars of the user's (an earlier image's, kept without it), and an image that another
        // writer puts at the same path while this build hashes its own: the build fails at its
        // commit, and both the other image and the sidecars stay exactly as they were.
        var path = Path.Combine(_fx.Out, "race.img");
        File.WriteAllText(path + ".sha256", "mine\n");
        File.WriteAllText(path + ".glance.json", "{}\n");
        var ctx = new OperationContext(CancellationToken.None, new SyncProgress(r =>
        {
            if (r.Status.StartsWith("Computing the checksum", StringComparison.Ordinal))
            {
                File.WriteAllText(path, "the other writer's image");
            }
        }));
        try
        {
            Assert.ThrowsAny<Exception>(() => DiskImageBuilder.Build(Request("race.img"), ctx));
            Assert.Equal("the other writer's image", File.ReadAllText(path));
            Assert.Equal("mine\n", File.ReadAllText(path + ".sha256"));
            Assert.Equal("{}\n", File.ReadAllText(path + ".glance.json"));
            Assert.Empty(Directory.GetFileSystemEntries(_fx.Out, ".*"));
        }
        finally
        {
            foreach (var f in Directory.GetFiles(_fx.Out))
            {
                File.Delete(f);
            }
        }
    }

    [Fact]
    public void CancellationLeavesNothingBehind()
    {
        using var cts = new CancellationTokenSource();
        var ctx = new OperationContext(cts.Token, new SyncProgress(r =>
        {
            if (r.Status.StartsWith("Creating the ext4", StringComparison.Ordinal))
            {
                cts.Cancel();
            }
        }));
        var ex = Assert.Throws<GentooImageException>(() => DiskImageBuilder.Build(Request("cancel.img"), ctx));
        Assert.Equal(ErrorKind.OperationCancelled, ex.Kind);
        Assert.Empty(Directory.GetFileSystemEntries(_fx.Out));
        Assert.Empty(Directory.GetFileSystemEntries(_fx.Dir, ".gentooimage-stage-*"));
    }

    [Fact]
    public void BootsToTheGrubMenuOnTheSerialConsole()
    {
        var img = DiskImageBuilder.Build(Request("boot.img"), OperationContext.None);
        try
        {
            var serial = BootUntil(img.Path, "Gentoo Linux (vmlinuz-6.1.0-fixture)", TimeSpan.FromSeconds(120));
            Assert.Contains("GNU GRUB", serial);
        }
        finally
        {
            foreach (var f in Directory.GetFiles(_fx.Out))
            {
                File.Delete(f);
            }
        }
    }

    /// <summary>Runs QEMU (TCG) on the image and returns the serial output once it contains <paramref name="text"/>; QEMU is always killed.</summary>
    internal static string BootUntil(string image, string text, TimeSpan timeout, params string[] extra)
    {
        var psi = new ProcessStartInfo("qemu-system-x86_64") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in new[] { "-accel", "tcg", "-m", "256", "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot", "-drive", $"file={image},format=raw,if=virtio" }.Concat(extra))
        {
            psi.ArgumentList.Add(a);
        }

        var output = new System.Text.StringBuilder();
        var found = new ManualResetEventSlim();
        using var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (output)
            {
                output.Append(e.Data).Append('\n');
                if (output.ToString().Contains(text, StringComparison.Ordinal))
                {
                    found.Set();
                }
            }
        };
        p.Start();
        try
        {
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            var ok = found.Wait(timeout);
            lock (output)
            {
                Assert.True(ok, $"'{text}' did not appear on the serial console within {timeout}:\n{output}");
                return output.ToString();
            }
        }
        finally
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
            }

            p.WaitForExit(10_000);
        }
    }

    /// <summary>Compares owners, modes, hardlinks, devices and xattrs of the image's tree with the source root.</summary>
    private void CompareTree(string dev, params string[] alsoExcluded)
    {
        var excludedFromImage = new[] { "var/lib/gentooimage", "var/log/gentooimage", "var/tmp/gentooimage-script-1.sh", "var/tmp/portage/sys-apps", "run/openrc", "proc/leftover" }.Concat(alsoExcluded).ToArray();
        var source = Tool("find", _fx.Root, "-mindepth", "1", "-printf", "%P\t%m\t%U\t%G\t%y\n")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('\t'))
            .Where(f => !excludedFromImage.Any(e => f[0] == e || f[0].StartsWith(e + "/", StringComparison.Ordinal)))
            .Where(f => f[0] is not ("etc/fstab"))
            .ToList();
        var dirs = source.Where(f => f[4] == "d").Select(f => "/" + f[0]).Prepend("/").ToList();
        var cmds = Path.Combine(_fx.Dir, "debugfs-" + Guid.NewGuid().ToString("N")[..6]);
        File.WriteAllLines(cmds, dirs.Select(d => $"ls -p \"{d}\""));
        var listing = Tool("debugfs", "-f", cmds, dev);
        File.Delete(cmds);
        var image = new Dictionary<string, (string Ino, string Mode, string Uid, string Gid)>();
        string? cur = null;
        foreach (var line in listing.Split('\n'))
        {
            if (line.StartsWith("debugfs: ls -p ", StringComparison.Ordinal))
            {
                cur = line["debugfs: ls -p ".Length..].Trim('"').TrimEnd('/');
                continue;
            }

            var f = line.Split('/');
            if (cur is null || f.Length < 7 || f[5] is "." or "..")
            {
                continue;
            }

            image[(cur + "/" + f[5]).TrimStart('/')] = (f[1], f[2], f[3], f[4]);
        }

        foreach (var s in source)
        {
            Assert.True(image.TryGetValue(s[0], out var e), $"{s[0]} is missing from the image");
            var perm = Convert.ToInt32(e.Mode, 8) & 0xFFF;
            Assert.True(Convert.ToInt32(s[1], 8) == perm, $"{s[0]}: mode {s[1]} vs {Convert.ToString(perm, 8)}");
            Assert.True(s[2] == e.Uid && s[3] == e.Gid, $"{s[0]}: owner {s[2]}:{s[3]} vs {e.Uid}:{e.Gid}");
        }

        foreach (var gone in excludedFromImage)
        {
            Assert.False(image.ContainsKey(gone), $"{gone} must not be in the image");
        }

        Assert.True(image.ContainsKey("var/tmp/portage") && image.ContainsKey("run") && image.ContainsKey("var/tmp/keep-me"));
        Assert.Equal(image["usr/bin/fixture-sgid"].Ino, image["usr/bin/fixture-sgid-hardlink"].Ino);
        Assert.Equal("060660", image["dev/fixture-block"].Mode);
        Assert.Contains("Device major/minor number: 07:200", Tool("debugfs", "-R", "stat /dev/fixture-block", dev));
        Assert.Equal("010600", image["var/lib/fixture.fifo"].Mode);
        Assert.Equal("120777", image["usr/lib/os-release"].Mode);
        Assert.Contains("security.capability", Tool("debugfs", "-R", "ea_list /usr/bin/fixture-ping", dev));
        Assert.Contains("kept", Tool("debugfs", "-R", "ea_get /etc/gentoo-release user.gentooimage.fixture", dev));
    }

    private static string FatVolumeId(string path, long offset)
    {
        var b = ReadAt(path, offset + 0x43, 4);
        return $"{b[3]:X2}{b[2]:X2}-{b[1]:X2}{b[0]:X2}";
    }

    private static byte[] ReadHead(string path, int count) => ReadAt(path, 0, count);

    private static byte[] ReadAt(string path, long offset, int count)
    {
        using var fs = File.OpenRead(path);
        fs.Position = offset;
        var buf = new byte[count];
        fs.ReadExactly(buf);
        return buf;
    }

    internal static string Tool(string file, params string[] args) => FixtureRoot.Run(file, args);

    internal static (int Code, string Output) RunRaw(string file, string[] args, string? workDir)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workDir ?? string.Empty };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var o = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, o + err.Result);
    }

    private static (int Code, string Output) RunRaw(string file, params string[] args) => RunRaw(file, args, null);

    private static (int Code, string Output) RunRaw(string file, string a, string b, string workDir) => RunRaw(file, new[] { a, b }, workDir);

    private sealed class SyncProgress : IProgress<ProgressReport>
    {
        private readonly Action<ProgressReport> _a;

        public SyncProgress(Action<ProgressReport> a) => _a = a;

        public void Report(ProgressReport value) => _a(value);
    }
}
