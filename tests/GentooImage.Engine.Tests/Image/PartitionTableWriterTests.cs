using GentooImage.Engine.Image;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Tests.Image;

/// <summary>
/// The sfdisk script a layout turns into, with a fake <see cref="IProcessRunner"/> (no sfdisk, no
/// file): the boot loaders chosen once from the firmware decide the partitions and the MBR's
/// active flag.
/// </summary>
public class PartitionTableWriterTests
{
    [Theory]
    [InlineData(BootFirmware.Bios, PartitionTableKind.Mbr, true, new[] { 1 })]
    [InlineData(BootFirmware.Uefi, PartitionTableKind.Mbr, false, new[] { 2, 1 })]
    [InlineData(BootFirmware.Hybrid, PartitionTableKind.Mbr, true, new[] { 2, 1 })]
    [InlineData(BootFirmware.Bios, PartitionTableKind.Gpt, false, new[] { 14, 1 })]
    [InlineData(BootFirmware.Hybrid, PartitionTableKind.Gpt, false, new[] { 14, 15, 1 })]
    public void TheScriptFollowsTheBootLoadersChosenOnce(BootFirmware firmware, PartitionTableKind table, bool activeRoot, int[] numbers)
    {
        var loaders = BootLoader.For(firmware);
        var gpt = table == PartitionTableKind.Gpt;
        var parts = new List<ImagePartition>();
        var next = 2048L;
        foreach (var p in loaders.Select(l => l.PlanPartition(gpt, "1a2b3c4d", next)).OfType<ImagePartition>())
        {
            parts.Add(p);
            next += p.SizeSectors;
        }

        parts.Add(new ImagePartition { Number = 1, Role = "root", StartSector = next, Type = gpt ? DiskPartition.X86RootGuid : "83", PartUuid = "1a2b3c4d-01" });
        var layout = new DiskImageLayout
        {
            Request = new DiskImageRequest { RootPath = "/nonexistent-root", ImagePath = "/nonexistent-dir/x.img", Firmware = firmware },
            PartitionTable = table,
            SizeBytes = 512L * 1024 * 1024,
            Partitions = parts,
            DiskId = "1a2b3c4d",
            RootUuid = Guid.NewGuid().ToString(),
            Kernel = "/boot/vmlinuz",
            CommandLine = "ro",
            BootLoaders = loaders,
        };
        var fake = new FakeRunner(parts);
        var ws = new ImageWorkspace(layout, OperationContext.None, fake);

        var written = PartitionTableWriter.Write(ws);

        Assert.Equal(numbers, written.Select(p => p.Number));
        var script = Assert.Single(fake.Inputs);
        Assert.StartsWith(gpt ? "label: gpt\n" : "label: dos\nlabel-id: 0x1a2b3c4d\n", script, StringComparison.Ordinal);
        var rootLine = script.Split('\n').Single(l => l.StartsWith(ws.TempImage + "1 ", StringComparison.Ordinal));
        Assert.Equal(activeRoot, rootLine.EndsWith(", bootable", StringComparison.Ordinal));
        Assert.Equal(gpt, rootLine.Contains("name=cloudimg-rootfs", StringComparison.Ordinal));
        Assert.False(Directory.Exists(ws.WorkDirectory));
    }

    /// <summary>Answers sfdisk: records the script, and gives back the partitions as --json would.</summary>
    private sealed class FakeRunner : IProcessRunner
    {
        private readonly IReadOnlyList<ImagePartition> _parts;

        public FakeRunner(IReadOnlyList<ImagePartition> parts) => _parts = parts;

        public List<string> Inputs { get; } = new();

        public Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken cancellation = default)
        {
            Assert.Equal("sfdisk", spec.FileName);
            var output = string.Empty;
            if (spec.Arguments.Contains("--json"))
            {
                var image = spec.Arguments[^1];
                var rows = _parts.Select(p =>
                    $"{{\"node\": \"{image}{p.Number}\", \"start\": {p.StartSector}, \"size\": {(p.SizeSectors == 0 ? 1000 : p.SizeSectors)}, \"type\": \"{p.Type}\"}}");
                output = $"{{\"partitiontable\": {{\"label\": \"dos\", \"id\": \"0x1a2b3c4d\", \"partitions\": [{string.Join(", ", rows)}]}}}}";
            }
            else
            {
                Inputs.Add(spec.StandardInput!);
            }

            return Task.FromResult(new ProcessResult(spec, 0, output, string.Empty, TimeSpan.Zero, false));
        }
    }
}
