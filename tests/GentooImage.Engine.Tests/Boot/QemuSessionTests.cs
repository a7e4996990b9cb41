using System.Text.RegularExpressions;
using GentooImage.Engine.Boot;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Tests.Boot;

public sealed class QemuSessionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gi-qemu-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string ProbeImage()
    {
        var path = Path.Combine(_dir, "probe.img");
        AcceleratorProbe.WriteProbeImage(path);
        return path;
    }

    [Fact]
    public void ArgumentsAreAVectorWithSnapshotSerialAndVirtio()
    {
        var args = QemuSession.BuildArguments(new QemuOptions { ImagePath = "/x/a,b.img", Accelerator = Accelerator.Tcg }, null);
        Assert.Contains("-snapshot", args);
        Assert.Equal("stdio", args[args.ToList().IndexOf("-serial") + 1]);
        Assert.Contains("file=/x/a,,b.img,format=raw,if=virtio", args);
        Assert.Equal("tcg", args[1]);
    }

    [Fact]
    public void UefiAddsOvmfFlashWithAPrivateVarsCopy()
    {
        var args = QemuSession.BuildArguments(new QemuOptions { ImagePath = "/x.img", Firmware = BootFirmware.Uefi }, "/tmp/vars.fd");
        Assert.Contains(args, a => a.StartsWith("if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE.fd", StringComparison.Ordinal));
        Assert.Contains("if=pflash,format=raw,unit=1,file=/tmp/vars.fd", args);
    }

    [Fact]
    public async Task TcgRunsTheProbeGuestAndDisposeEndsTheVm()
    {
        var log = Path.Combine(_dir, "serial.log");
        int pid;
        await using (var vm = QemuSession.Start(new QemuOptions { ImagePath = ProbeImage(), MemoryMB = 16, Network = false, SerialLogPath = log }, OperationContext.None))
        {
            pid = vm.ProcessId;
            var m = await vm.WaitForAsync(new Regex("K"), TimeSpan.FromSeconds(30), 0, CancellationToken.None);
            Assert.NotNull(m);
        }

        Assert.False(Directory.Exists($"/proc/{pid}"), "QEMU must be gone after dispose");
        Assert.Contains("K", File.ReadAllText(log));
    }

    [Fact]
    public async Task WaitingCanBeCancelledAndTheVmStillEnds()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        int pid;
        await using (var vm = QemuSession.Start(new QemuOptions { ImagePath = ProbeImage(), MemoryMB = 16, Network = false }, OperationContext.None))
        {
            pid = vm.ProcessId;
            var ex = await Assert.ThrowsAsync<GentooImageException>(() => vm.WaitForAsync(new Regex("never"), TimeSpan.FromMinutes(1), 0, cts.Token));
            Assert.Equal(ErrorKind.OperationCancelled, ex.Kind);
        }

        Assert.False(Directory.Exists($"/proc/{pid}"));
    }

    [Fact]
    public async Task AutoFallsBackToTcgWhenKvmDoesNotRunAGuest()
    {
        // On this CI machine /dev/kvm exists but guests hang; where KVM works the probe says so.
        AcceleratorProbe.Forget();
        var (accel, reason) = await AcceleratorProbe.ResolveAsync(Accelerator.Auto, OperationContext.None);
        Assert.True(accel is Accelerator.Kvm or Accelerator.Tcg);
        Assert.False(string.IsNullOrWhiteSpace(reason));
        if (accel == Accelerator.Kvm)
        {
            Assert.Equal("a probe guest ran under KVM", reason);
        }
        else
        {
            Assert.NotEqual("requested", reason);
        }

        Assert.Empty(Directory.GetFiles(Path.GetTempPath(), AcceleratorProbe.ProbePrefix + OwnerTag.Current + "-*")); // this process's probes only: a test run beside this one may be probing
    }

    [Fact]
    public async Task TheProbesAnswerIsReusedInTheProcessAndConcurrentCallsWaitForOneProbe()
    {
        // Where /dev/kvm is absent nothing would be probed: a plain file stands in for the node, so
        // the real probe runs (QEMU then refuses KVM, an answer kept like the others).
        var device = AcceleratorProbe.KvmDevice;
        var stand = Path.Combine(Path.GetTempPath(), OwnerTag.UniqueName("gi-kvm-node-"));
        if (!File.Exists(device))
        {
            File.WriteAllText(stand, string.Empty);
            AcceleratorProbe.KvmDevice = stand;
        }

        try
        {
            AcceleratorProbe.Forget();
            var both = await Task.WhenAll(
                AcceleratorProbe.ResolveAsync(Accelerator.Auto, OperationContext.None),
                AcceleratorProbe.ResolveAsync(Accelerator.Auto, OperationContext.None));
            Assert.Equal(both[0].Accelerator, both[1].Accelerator);

            // One of the two probed, the other waited and reused its answer.
            Assert.Single(both, r => r.Reason.EndsWith(", reused)", StringComparison.Ordinal));
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var again = await AcceleratorProbe.ResolveAsync(Accelerator.Auto, OperationContext.None);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"a reused answer took {watch.Elapsed}");
            Assert.Equal(both[0].Accelerator, again.Accelerator);
            Assert.EndsWith(", reused)", again.Reason, StringComparison.Ordinal);

            // A call with its own timeout always probes.
            var own = await AcceleratorProbe.ResolveAsync(Accelerator.Auto, OperationContext.None, TimeSpan.FromSeconds(4));
            Assert.DoesNotContain("reused", own.Reason, StringComparison.Ordinal);
            Assert.Empty(Directory.GetFiles(Path.GetTempPath(), AcceleratorProbe.ProbePrefix + OwnerTag.Current + "-*")); // this process's probes only: a test run beside this one may be probing
        }
        finally
        {
            AcceleratorProbe.KvmDevice = device;
            AcceleratorProbe.Forget();
            File.Delete(stand);
        }
    }

    [Fact]
    public async Task ExplicitAcceleratorsAreNotProbed() =>
        Assert.Equal((Accelerator.Tcg, "requested"), await AcceleratorProbe.ResolveAsync(Accelerator.Tcg, OperationContext.None));
}
