using System.Text.RegularExpressions;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Boot;

/// <summary>
/// Decides whether KVM really works, by running a one-sector guest under it that writes a byte to
/// the serial port. A /dev/kvm node proves nothing: under nested virtualisation guests can hang or
/// QEMU can abort. The probe takes a few seconds at most, then falls back to TCG. Its answer is kept
/// for <see cref="ReuseFor"/> in this process, so a session's next boots do not wait for it again;
/// concurrent boots wait for the one probe.
/// </summary>
public static class AcceleratorProbe
{
    /// <summary>16-bit boot sector: mov dx,0x3f8; mov al,'K'; out dx,al; cli; hlt; jmp $-1; ... 0x55AA.</summary>
    internal static byte[] BootSector()
    {
        var sector = new byte[512];
        byte[] code = { 0xBA, 0xF8, 0x03, 0xB0, 0x4B, 0xEE, 0xFA, 0xF4, 0xEB, 0xFD };
        code.CopyTo(sector, 0);
        sector[510] = 0x55;
        sector[511] = 0xAA;
        return sector;
    }

    /// <summary>A 1 MiB disk whose first sector is <see cref="BootSector"/> (SeaBIOS skips a one-sector virtio disk).</summary>
    internal static void WriteProbeImage(string path)
    {
        using var f = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        f.Write(BootSector());
        f.SetLength(1024 * 1024);
    }

    /// <summary>The probe guest's image in /tmp: gi-kvm-probe-&lt;owner tag&gt;.img.</summary>
    public const string ProbePrefix = "gi-kvm-probe-";

    /// <summary>How long a probe's answer is reused in this process: KVM ran the guest, or QEMU refused KVM.</summary>
    public static readonly TimeSpan ReuseFor = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long the answer "the probe guest hung" is reused: long enough for boots started together,
    /// short because a loaded host can make a working KVM miss the probe's few seconds.
    /// </summary>
    public static readonly TimeSpan ReuseHungFor = TimeSpan.FromMinutes(1);

    private static readonly SemaphoreSlim Gate = new(1, 1);

    private static (Accelerator Accelerator, string Reason, DateTime At, TimeSpan For)? _last;

    /// <summary>The node whose absence means "no KVM" without a probe (tests point it at a plain file, so the probe runs where /dev/kvm is absent).</summary>
    internal static string KvmDevice { get; set; } = "/dev/kvm";

    /// <summary>Forgets the kept answer (tests).</summary>
    internal static void Forget() => _last = null;

    /// <summary>
    /// Resolves <paramref name="requested"/>: Auto probes KVM, or reuses this process's last answer
    /// (saying so in the reason) for <see cref="ReuseFor"/>, or <see cref="ReuseHungFor"/> when the
    /// probe guest hung; a call with its own <paramref name="timeout"/> always probes. Kvm and Tcg are
    /// taken as given.
    /// </summary>
    public static async Task<(Accelerator Accelerator, string Reason)> ResolveAsync(Accelerator requested, OperationContext ctx, TimeSpan? timeout = null)
    {
        if (requested != Accelerator.Auto)
        {
            return (requested, "requested");
        }

        if (!File.Exists(KvmDevice))
        {
            return (Accelerator.Tcg, $"{KvmDevice} does not exist");
        }

        await Gate.WaitAsync(ctx.Cancellation).ConfigureAwait(false);
        try
        {
            if (timeout is null && _last is { } last && DateTime.UtcNow - last.At < last.For)
            {
                ctx.Verbose($"Accelerator: {last.Accelerator}, as the KVM probe at {last.At.ToLocalTime():HH:mm:ss} found ({last.Reason}).");
                return (last.Accelerator, $"{last.Reason} (the probe at {last.At.ToLocalTime():HH:mm:ss}, reused)");
            }

            var (accelerator, reason, hung) = await ProbeAsync(ctx, timeout).ConfigureAwait(false);
            if (timeout is null)
            {
                _last = (accelerator, reason, DateTime.UtcNow, hung ? ReuseHungFor : ReuseFor);
            }

            return (accelerator, reason);
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task<(Accelerator Accelerator, string Reason, bool Hung)> ProbeAsync(OperationContext ctx, TimeSpan? timeout)
    {
        var image = Path.Combine(Path.GetTempPath(), OwnerTag.UniqueName(ProbePrefix, ".img"));
        WriteProbeImage(image);
        try
        {
            var options = new QemuOptions { ImagePath = image, Accelerator = Accelerator.Kvm, MemoryMB = 16, Network = false };
            await using var vm = QemuSession.Start(options, ctx);
            var seen = await vm.WaitForAsync(new Regex("K"), timeout ?? TimeSpan.FromSeconds(4), 0, ctx.Cancellation).ConfigureAwait(false);
            if (seen is not null)
            {
                return (Accelerator.Kvm, "a probe guest ran under KVM", false);
            }

            var why = vm.HasExited ? $"QEMU exited under KVM: {vm.QemuErrors.Trim()}" : "a probe guest hung under KVM (nested virtualisation?)";
            ctx.Verbose($"KVM unusable: {why}; using TCG.");
            return (Accelerator.Tcg, why, !vm.HasExited);
        }
        finally
        {
            File.Delete(image);
        }
    }
}
