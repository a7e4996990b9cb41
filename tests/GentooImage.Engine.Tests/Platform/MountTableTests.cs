using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Tests;

public class MountTableTests
{
    private const string Sample =
        "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n" +
        "30 22 0:5 / /dev rw,nosuid shared:2 - devtmpfs udev rw,size=10k\n" +
        "40 22 0:40 / /mnt/gentoo rw - ext4 /dev/sdb1 rw\n" +
        "41 40 0:41 / /mnt/gentoo/proc rw - proc proc rw\n" +
        "42 40 0:5 / /mnt/gentoo/dev rw master:2 - devtmpfs udev rw\n" +
        "43 42 0:43 / /mnt/gentoo/dev/pts rw - devpts devpts rw,gid=5\n" +
        "44 22 0:44 / /mnt/gentoo2 rw - tmpfs tmpfs rw\n" +
        "45 22 0:45 / /with\\040space rw - tmpfs tmp\\134fs rw\n";

    [Fact]
    public void ParsesFieldsIncludingOptionalPropagation()
    {
        var table = MountTable.Parse(Sample);
        Assert.Equal(8, table.Count);
        var dev = table[1];
        Assert.Equal(30, dev.MountId);
        Assert.Equal(22, dev.ParentId);
        Assert.Equal("/dev", dev.MountPoint);
        Assert.Equal("shared:2", dev.Propagation);
        Assert.Equal("devtmpfs", dev.FileSystemType);
        Assert.Equal("udev", dev.Source);
        Assert.Equal(string.Empty, table[2].Propagation);
    }

    [Fact]
    public void UnescapesOctalSequences()
    {
        var e = MountTable.Parse(Sample)[7];
        Assert.Equal("/with space", e.MountPoint);
        Assert.Equal("tmp\\fs", e.Source);
    }

    [Fact]
    public void BelowListsOnlyTheRootAndItsChildrenDeepestFirst()
    {
        var below = MountTable.Below(MountTable.Parse(Sample), "/mnt/gentoo/");
        Assert.Equal(new[] { "/mnt/gentoo/dev/pts", "/mnt/gentoo/dev", "/mnt/gentoo/proc", "/mnt/gentoo" }, below.Select(m => m.MountPoint));
    }

    [Fact]
    public void KeyIgnoresKernelIdsButNotPropagation()
    {
        var a = MountTable.ParseLine("30 22 0:5 / /dev rw shared:2 - devtmpfs udev rw");
        var b = MountTable.ParseLine("99 98 0:5 / /dev rw shared:2 - devtmpfs udev rw");
        var c = MountTable.ParseLine("30 22 0:5 / /dev rw master:2 - devtmpfs udev rw");
        Assert.Equal(a.Key, b.Key);
        Assert.NotEqual(a.Key, c.Key);
    }

    [Fact]
    public void RejectsGarbage() => Assert.Throws<FormatException>(() => MountTable.ParseLine("not a mount"));

    [Fact]
    public void ReadsTheRealTable()
    {
        var table = MountTable.Read();
        Assert.Contains(table, m => m.MountPoint == "/");
    }
}
