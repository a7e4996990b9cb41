using System.Text;
using GentooImage.Engine.Boot;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Tests.Boot;

public class XenGuestConfigTests
{
    [Fact]
    public void PvGuestsAreBootedByPvgrub2FromTheImageOnDom0sSecondDisk()
    {
        var cfg = XenGuestConfig.For(XenGuestType.Pv, XenBootLoader.PvGrub, 512);
        Assert.Contains("type = \"pv\"\n", cfg);
        Assert.Contains("kernel = \"/usr/lib/grub-xen/grub-x86_64-xen.bin\"\n", cfg);
        Assert.Contains("disk = [ \"format=raw,vdev=xvda,access=rw,target=/dev/vdb\" ]\n", cfg);
        Assert.Contains("vif = [ \"bridge=xenbr0\" ]\n", cfg);
        Assert.Contains("memory = 512\n", cfg);
        Assert.Contains("on_reboot = \"destroy\"\n", cfg);
        Assert.DoesNotContain("bootloader", cfg);
    }

    [Fact]
    public void PyGrubReplacesTheKernelLineForPvGuestsOnly()
    {
        var cfg = XenGuestConfig.For(XenGuestType.Pv, XenBootLoader.PyGrub, 256);
        Assert.Contains("bootloader = \"pygrub\"\n", cfg);
        Assert.DoesNotContain("kernel =", cfg);

        foreach (var type in new[] { XenGuestType.Pvh, XenGuestType.Hvm })
        {
            var ex = Assert.Throws<GentooImageException>(() => XenGuestConfig.For(type, XenBootLoader.PyGrub, 256));
            Assert.Equal(ErrorKind.InvalidArgument, ex.Kind);
            Assert.Contains("PV guests only", ex.Message);
        }
    }

    [Fact]
    public void PvhUsesThePvhBuildOfPvgrub2AndHvmTheEmulatedSerialPort()
    {
        Assert.Contains("kernel = \"/usr/lib/grub-xen/grub-i386-xen_pvh.bin\"\n", XenGuestConfig.For(XenGuestType.Pvh, XenBootLoader.PvGrub, 512));
        var hvm = XenGuestConfig.For(XenGuestType.Hvm, XenBootLoader.PvGrub, 512);
        Assert.Contains("type = \"hvm\"\n", hvm);
        Assert.Contains("serial = \"pty\"\n", hvm);
        Assert.Contains("vga = \"none\"\n", hvm);
        Assert.Contains("vif = [ \"bridge=xenbr0,type=vif\" ]\n", hvm); // no emulated NIC, so no tap device in dom0
        Assert.DoesNotContain("kernel =", hvm);
    }

    [Fact]
    public void TheDom0CommandLineCarriesTheConfigurationAsOneBase64Word()
    {
        var cfg = XenGuestConfig.For(XenGuestType.Hvm, XenBootLoader.PvGrub, 65536); // the longest one
        var line = XenGuestConfig.Dom0CommandLine(cfg);
        Assert.StartsWith("root=/dev/vda rw console=hvc0 quiet init=/sbin/gentooimage-xen-init gentooimage.xlcfg=", line);
        var word = line.Split(' ').Single(w => w.StartsWith("gentooimage.xlcfg=", StringComparison.Ordinal))["gentooimage.xlcfg=".Length..];
        Assert.Equal(cfg, Encoding.UTF8.GetString(Convert.FromBase64String(word)));
        Assert.DoesNotContain(",", line); // QEMU's multiboot module list separates modules with commas
        Assert.True(line.Length < 1024, "Xen passes dom0 at most MAX_GUEST_CMDLINE (1024) bytes of command line");
    }

    [Fact]
    public void QemuBootsXenWithTheDom0AsModulesAndTheImageAsTheSecondDisk()
    {
        var host = new XenHost("/var/cache/gentooimage/xen-host/0123456789abcdef");
        var options = new QemuOptions
        {
            ImagePath = "/images/a,b.img",
            Accelerator = Accelerator.Tcg,
            MemoryMB = 512,
            Xen = new XenBoot(host, "root=/dev/vda console=hvc0"),
        };
        var args = QemuSession.BuildArguments(options, null).ToList();
        string After(string flag) => args[args.IndexOf(flag) + 1];
        Assert.Equal("qemu64,+svm,+npt", After("-cpu"));
        Assert.Equal("2048", After("-m"));
        Assert.Equal(host.Hypervisor, After("-kernel"));
        Assert.Equal(XenGuestConfig.HypervisorCommandLine, After("-append"));
        Assert.Equal($"{host.Dom0Kernel} root=/dev/vda console=hvc0,{host.Dom0Initrd}", After("-initrd"));
        var drives = args.Select((a, i) => (a, i)).Where(p => p.a == "-drive").Select(p => args[p.i + 1]).ToList();
        Assert.Equal(new[] { $"file={host.Dom0Disk},format=raw,if=virtio", "file=/images/a,,b.img,format=raw,if=virtio" }, drives);
        Assert.Contains("-snapshot", args);
        Assert.DoesNotContain("-netdev", args);
    }

    [Fact]
    public void TheCacheKeyFollowsThePackageVersionsAndAptCachePolicyIsParsed()
    {
        const string policy = "xen-utils-4.17:\n  Installed: (none)\n  Candidate: 4.17.7+13-g2445b30a44-0+deb12u1\n  Version table:\n" +
            "linux-image-amd64:\n  Installed: (none)\n  Candidate: 6.1.192-3\n" +
            "nonexistent:\n  Installed: (none)\n  Candidate: (none)\n";
        var candidates = XenHostRecipe.ParseCandidates(policy);
        Assert.Equal("4.17.7+13-g2445b30a44-0+deb12u1", candidates["xen-utils-4.17"]);
        Assert.Equal("6.1.192-3", candidates["linux-image-amd64"]);
        Assert.False(candidates.ContainsKey("nonexistent"));

        var key = XenHostRecipe.KeyOf(candidates);
        Assert.Matches("^[0-9a-f]{16}$", key);
        Assert.Equal(key, XenHostRecipe.KeyOf(new Dictionary<string, string>(candidates)));
        var newer = new Dictionary<string, string>(candidates) { ["linux-image-amd64"] = "6.1.193-1" };
        Assert.NotEqual(key, XenHostRecipe.KeyOf(newer));
    }

    [Fact]
    public void ACacheRootQemuCannotQuoteIsRefusedBeforeAnythingIsBuilt()
    {
        foreach (var bad in new[] { "relative/dir", "/var/cache/with space", "/var/cache/a,b" })
        {
            var ex = Assert.Throws<GentooImageException>(() => XenHostBuilder.CheckCacheRoot(bad));
            Assert.Equal(ErrorKind.InvalidArgument, ex.Kind);
        }

        XenHostBuilder.CheckCacheRoot(XenHostBuilder.DefaultCacheRoot);
    }

    [Fact]
    public async Task TheDom0InitIsAValidShellScript()
    {
        var path = Path.Combine(Path.GetTempPath(), $"gi-xen-init-{Guid.NewGuid():N}.sh");
        Assert.Contains(XenGuestConfig.GuestStartMarker, XenHostRecipe.InitScript());
        File.WriteAllText(path, XenHostRecipe.InitScript());
        try
        {
            var r = await ProcessRunner.Instance.RunAsync(new ProcessSpec("sh", "-n", path));
            Assert.True(r.Succeeded, r.StandardError);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
