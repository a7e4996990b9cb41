using System.Diagnostics;
using System.Globalization;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Tests;

public class OwnerTagTests
{
    [Fact]
    public void StartTimeIsField22AlsoWhenTheCommandHoldsSpacesAndParentheses()
    {
        // Fields 3.. after the command: state ppid pgrp session tty tpgid flags minflt cminflt majflt
        // cmajflt utime stime cutime cstime priority nice threads itrealvalue starttime(22) vsize ...
        var stat = "4242 (evil ) 1 2 (x) S 1 4242 4242 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 1 0 987654321 1000 50 18446744073709551615";
        Assert.Equal(987654321UL, OwnerTag.ParseStartTime(stat));
        Assert.Null(OwnerTag.ParseStartTime("4242 (short) S 1 2"));
        Assert.Null(OwnerTag.ParseStartTime("garbage"));
    }

    [Fact]
    public void CurrentIsThisProcessWithItsRealStartTime()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        var field22 = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19];
        Assert.Equal($"o{Environment.ProcessId}_{field22}", OwnerTag.Current);

        var name = OwnerTag.UniqueName("gi-image-", ".img");
        Assert.Matches(@"^gi-image-o[0-9]+_[0-9]+-[0-9a-f]{8}\.img$", name);
        Assert.True(OwnerTag.TryParse(name, out var pid, out var start));
        Assert.Equal(Environment.ProcessId, pid);
        Assert.Equal(ulong.Parse(field22, CultureInfo.InvariantCulture), start);
        Assert.True(OwnerTag.IsAlive(pid, start));
        Assert.NotEqual(name, OwnerTag.UniqueName("gi-image-", ".img"));
    }

    [Theory]
    [InlineData("gi-image-1a2b3c4d")]                 // an old name without owner
    [InlineData("gi-test-o12_34")]                    // no random part
    [InlineData("gi-xo12_34-0123abcd")]               // the tag must not be glued to a word
    [InlineData(".gentoo.img.0123abcd.tmp")]
    [InlineData("o0_5-0123abcd")]                     // pid 0 is nobody
    public void NamesWithoutAnOwnerTagAreNotOwned(string name) =>
        Assert.False(OwnerTag.TryParse(name, out _, out _));

    [Theory]
    [InlineData(".gentoo.img.o4242_123-0123abcd.tmp", 4242, 123UL)]
    [InlineData(".gentooimage-stage-o7_99-deadbeef", 7, 99UL)]
    [InlineData("gentooimage-o1_2-ffffffff.sh", 1, 2UL)]
    public void OwnedNamesGiveTheirOwner(string name, int pid, ulong start)
    {
        Assert.True(OwnerTag.TryParse(name, out var p, out var s));
        Assert.Equal(pid, p);
        Assert.Equal(start, s);
    }

    [Fact]
    public void AnEndedProcessAndAReusedPidAreNotAlive()
    {
        using var p = Process.Start(new ProcessStartInfo("sleep", "30"))!;
        var start = OwnerTag.StartTimeOf(p.Id);
        Assert.NotNull(start);
        Assert.True(OwnerTag.IsAlive(p.Id, start!.Value));

        // Same pid, another start time: the pid now belongs to someone else.
        Assert.False(OwnerTag.IsAlive(p.Id, start.Value + 1));

        p.Kill();
        p.WaitForExit();
        Assert.False(OwnerTag.IsAlive(p.Id, start.Value));
        Assert.Null(OwnerTag.StartTimeOf(p.Id));
    }
}
