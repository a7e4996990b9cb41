using GentooImage.TestSupport;
using Xunit;

namespace GentooImage.Engine.Tests;

public class KernelBuildProgressTests
{
    private static readonly DateTime T0 = new(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void CountsCompiledObjectsFromKbuildLines()
    {
        var p = new KernelBuildProgress(200, TimeSpan.FromMinutes(15), T0);
        var lines = new[]
        {
            "make[1]: Entering directory '/var/cache/gentooimage-tests/kernel/build-0998400a836376f7'",
            "  SYNC    include/config/auto.conf.cmd",
            "  HOSTCC  scripts/basic/fixdep",
            "  CC      init/main.o",
            "  AS      arch/x86/entry/entry_64.o",
            "  CC [M]  fs/fuse/dev.o",
            "  AR      init/built-in.a",
            "  LD      vmlinux.o",
            "warning: something on stdout",
            "Kernel: arch/x86/boot/bzImage is ready  (#1)",
        };
        var steps = lines.Count(p.Observe);
        Assert.Equal(7, steps);
        Assert.Equal(3, p.Objects);
        Assert.Equal("LD vmlinux.o", p.LastStep);
    }

    [Fact]
    public void ReportsObjectsOfExpectedAndElapsedOfExpected()
    {
        var p = new KernelBuildProgress(200, TimeSpan.FromMinutes(15), T0);
        for (var i = 0; i < 50; i++)
        {
            p.Observe($"  CC      kernel/f{i}.o");
        }

        var r = p.Report(T0.AddSeconds(250));
        Assert.Equal(25, r.PercentComplete);
        Assert.Equal(KernelBuildProgress.Activity, r.Activity);
        Assert.StartsWith("50 of about 200 objects compiled, 4 min 10 s of about 15 min 00 s (CC kernel/f49.o)", r.Status, StringComparison.Ordinal);
    }

    [Fact]
    public void NeverClaimsToBeDoneBeforeMakeEnds()
    {
        var p = new KernelBuildProgress(2, TimeSpan.FromMinutes(1), T0);
        for (var i = 0; i < 5; i++)
        {
            p.Observe($"  CC      a{i}.o");
        }

        Assert.Equal(99, p.Report(T0.AddMinutes(2)).PercentComplete);
    }
}
