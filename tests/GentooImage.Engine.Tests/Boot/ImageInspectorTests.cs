using GentooImage.Engine.Boot;
using GentooImage.Engine.Image;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;
using GentooImage.TestSupport;

namespace GentooImage.Engine.Tests.Boot;

public sealed class ImageInspectorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gi-inspect-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void ParsesAnMbrTableAndDerivesPartUuidFromTheDiskSignature()
    {
        const string json = """
            {"partitiontable": {"label": "dos", "id": "0x0a1b2c3d", "device": "x.img", "unit": "sectors", "sectorsize": 512,
             "partitions": [{"node": "x.img1", "start": 2048, "size": 4096, "type": "83", "bootable": true}]}}
            """;
        var layout = DiskLayout.Parse(json);
        var root = Assert.IsType<DiskPartition>(layout.Root);
        Assert.Equal("0a1b2c3d-01", root.PartUuid);
        Assert.Equal(2048 * 512, root.Offset);
        Assert.Null(layout.Esp);
    }

    [Fact]
    public void ParsesAGptTableWithBiosBootEspAndRoot()
    {
        const string json = """
            {"partitiontable": {"label": "gpt", "id": "D1E2", "device": "x.img", "unit": "sectors", "sectorsize": 512, "firstlba": 34, "lastlba": 99,
             "partitions": [
               {"node": "x.img1", "start": 2048, "size": 2048, "type": "21686148-6449-6E6F-744E-656564454649", "uuid": "A"},
               {"node": "x.img2", "start": 4096, "size": 8192, "type": "c12a7328-f81f-11d2-ba4b-00a0c93ec93b", "uuid": "B"},
               {"node": "x.img3", "start": 12288, "size": 8192, "type": "0FC63DAF-8483-4772-8E79-3D69D8477DE4", "uuid": "C"}]}}
            """;
        var layout = DiskLayout.Parse(json);
        Assert.Equal(1, layout.BiosBoot!.Number);
        Assert.Equal(2, layout.Esp!.Number);
        Assert.Equal("C", layout.Root!.PartUuid);
    }

    [Theory]
    [InlineData("UUID=abc / ext4 defaults 0 1\n", "abc", null, true)]
    [InlineData("# c\nUUID=\"abc\"\t/\text4 defaults 0 1\n", "ABC", null, true)]
    [InlineData("UUID=abc / ext4 defaults 0 1\n", "def", null, false)]
    [InlineData("/dev/vda1 / ext4 defaults 0 1\n", "abc", null, false)]
    [InlineData("UUID=abc /boot ext4 defaults 0 1\n", "abc", null, false)]
    [InlineData("UUID=abc / ext4 defaults 0 1\n", "abc", "zzz", false)]
    public void FstabMustMountRootByTheFilesystemsUuid(string fstab, string fsUuid, string? recorded, bool passes) =>
        Assert.Equal(passes, ImageInspector.CheckFstab(fstab, fsUuid, recorded).Passed);

    [Fact]
    public async Task ARealImageWithoutBootCodeFailsOnlyTheBootCodeAndKernelChecks()
    {
        // A real image made by the standard tools: sfdisk on the file, mkfs.ext4 -d at the offset.
        var tree = Path.Combine(_dir, "tree");
        Directory.CreateDirectory(Path.Combine(tree, "etc"));
        const string uuid = "5d8f3a7e-1111-4222-8333-944455556666";
        File.WriteAllText(Path.Combine(tree, "etc/fstab"), $"UUID={uuid} / ext4 defaults 0 1\n");
        var image = Path.Combine(_dir, "disk.img");
        FixtureRoot.Run("truncate", "-s", "32M", image);
        await ProcessRunner.Instance.RunAsync(new ProcessSpec("sfdisk", "-q", image) { StandardInput = "label: dos\nlabel-id: 0x11223344\nstart=2048, type=83\n" });
        FixtureRoot.Run("mkfs.ext4", "-q", "-F", "-d", tree, "-U", uuid, "-E", "offset=1048576", image, "30M");
        File.WriteAllText(image + ".sha256", FixtureRoot.Run("sha256sum", image).Replace(image, Path.GetFileName(image)));

        var (checks, layout, firmware) = await new ImageInspector().InspectAsync(image, new ImageExpectations("Mbr", uuid, "11223344-01"), OperationContext.None);

        Assert.Equal("11223344-01", layout!.Root!.PartUuid);
        Assert.Null(firmware);
        var byName = checks.ToDictionary(c => c.Name);
        Assert.True(byName["PartitionTable"].Passed, byName["PartitionTable"].Detail);
        Assert.True(byName["RootFilesystemClean"].Passed, byName["RootFilesystemClean"].Detail);
        Assert.True(byName["FstabRootUuid"].Passed, byName["FstabRootUuid"].Detail);
        Assert.True(byName["Checksum"].Passed, byName["Checksum"].Detail);
        Assert.False(byName["BootCode"].Passed);
        Assert.False(byName["KernelAndGrubConfig"].Passed);

        // Tamper with one byte: the checksum check must fail.
        await using (var f = new FileStream(image, FileMode.Open, FileAccess.Write))
        {
            f.Position = 30 * 1024 * 1024;
            f.WriteByte(1);
        }

        var (again, _, _) = await new ImageInspector().InspectAsync(image, new ImageExpectations("Gpt"), OperationContext.None);
        Assert.False(again.Single(c => c.Name == "Checksum").Passed);
        Assert.False(again.Single(c => c.Name == "PartitionTable").Passed);
    }
}
