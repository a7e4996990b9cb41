using System.Diagnostics;
using System.Text.RegularExpressions;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Boot;

/// <summary>
/// Test-RawDiskImage's engine: static checks, then (optionally) a boot in QEMU to a pattern on the
/// serial console, a login and commands. The VM is always ended before this returns.
/// </summary>
public sealed class ImageTester
{
    private readonly ImageInspector _inspector;

    public ImageTester(IProcessRunner? runner = null) => _inspector = new ImageInspector(runner);

    private static readonly Regex s_ovmfVars = Leftovers.PatternFor(QemuSession.OvmfVarsPrefix, ".fd");
    private static readonly Regex s_probeImage = Leftovers.PatternFor(AcceleratorProbe.ProbePrefix, ".img");

    /// <summary>Removes OVMF variable copies and KVM probe images that killed Test-RawDiskImage runs left in /tmp.</summary>
    public static IReadOnlyList<string> RemoveLeftovers(OperationContext ctx) =>
        Leftovers.Sweep(Path.GetTempPath(), s_ovmfVars, ctx.Verbose)
            .Concat(Leftovers.Sweep(Path.GetTempPath(), s_probeImage, ctx.Verbose))
            .ToList();

    /// <summary>
    /// -SerialLogPath, checked before anything else happens: a regular file (new, or replaced: a
    /// serial log of an earlier boot) outside the directories the running system lives in, and
    /// never the image under test. Returns its canonical path.
    /// </summary>
    public static string CheckSerialLog(string path, string image)
    {
        var canonical = HostPathPolicy.CheckOutputFile(Path.GetFullPath(path), "SerialLogPath", HostPathUse.Log, mayReplace: true, string.Empty);
        if (FileIdentity.Of(canonical) is { } log && log == FileIdentity.Of(image))
        {
            throw new GentooImageException(
                ErrorKind.UnsafeOutputPath,
                $"-SerialLogPath '{path}' is the image under test; the console output would overwrite it. Nothing was changed. Give a new file name, such as '{Path.ChangeExtension(image, ".serial.log")}'.",
                canonical);
        }

        return canonical;
    }

    public async Task<ImageTestResult> TestAsync(ImageTestOptions options, OperationContext ctx)
    {
        var image = Path.GetFullPath(options.ImagePath);
        var serialLog = options.SerialLogPath is null ? null : CheckSerialLog(options.SerialLogPath, image);
        RemoveLeftovers(ctx);
        ctx.Report(new ProgressReport("Testing disk image", "Static checks", 0));
        var (checks, _, imageFirmware) = await _inspector.InspectAsync(image, options.Expected, ctx).ConfigureAwait(false);
        var result = new ImageTestResult { Path = image, Checks = checks };
        if (!options.Boot)
        {
            return result;
        }

        var xen = options.Hypervisor == Hypervisor.Xen;
        var firmware = options.Firmware ?? imageFirmware switch
        {
            BootFirmware.Uefi => BootFirmware.Uefi,
            _ => BootFirmware.Bios,
        };
        if (firmware == BootFirmware.Hybrid)
        {
            throw new GentooImageException(ErrorKind.InvalidArgument, "Boot a Hybrid image once with -Firmware Bios and once with -Firmware Uefi.", firmware);
        }

        string? xlConfig = null;
        if (xen)
        {
            if (options.Firmware is not null)
            {
                throw new GentooImageException(ErrorKind.InvalidArgument, "-Firmware applies to KVM boots: under Xen, PV and PVH guests start from pvgrub2 (or pygrub) and HVM guests from SeaBIOS. Leave -Firmware out.", options.Firmware);
            }

            xlConfig = XenGuestConfig.For(options.XenGuestType, options.XenBootLoader, options.MemoryMB);
            if (options.XenGuestType == XenGuestType.Hvm && imageFirmware == BootFirmware.Uefi)
            {
                throw new GentooImageException(ErrorKind.InvalidArgument, "A Xen HVM guest starts from SeaBIOS and this image has no BIOS boot code. Make it with New-RawDiskImage -Firmware Bios or Hybrid, or test it as -XenGuestType Pv or Pvh.", options.XenGuestType);
            }

            // PV and PVH guests are started by pvgrub2/pygrub, HVM guests by SeaBIOS: no firmware choice.
            firmware = BootFirmware.Bios;
        }

        ctx.Report(new ProgressReport("Testing disk image", "Choosing the accelerator", 10));
        var (accel, reason) = xen && options.Accelerator == Accelerator.Auto
            ? (Accelerator.Tcg, "Xen inside QEMU is proven under TCG only; -Accelerator Kvm tries nested virtualisation")
            : await AcceleratorProbe.ResolveAsync(options.Accelerator, ctx).ConfigureAwait(false);
        ctx.Verbose($"Accelerator: {accel} ({reason}).");
        XenHost? host = null;
        if (xen)
        {
            host = await new XenHostBuilder().EnsureAsync(options.XenHostCache, ctx).ConfigureAwait(false);
        }

        var log = serialLog ?? Path.Combine(Path.GetTempPath(), $"gi-serial-{Path.GetFileNameWithoutExtension(image)}-{DateTime.UtcNow:yyyyMMddTHHmmss}-{Guid.NewGuid().ToString("N")[..6]}.log");
        var format = image.EndsWith(".qcow2", StringComparison.OrdinalIgnoreCase) ? "qcow2" : "raw";
        var qemu = new QemuOptions
        {
            ImagePath = image,
            ImageFormat = format,
            Firmware = firmware,
            Accelerator = accel,
            MemoryMB = options.MemoryMB,
            SerialLogPath = log,
            Xen = host is null ? null : new XenBoot(host, XenGuestConfig.Dom0CommandLine(xlConfig!)),
        };

        var what = xen ? $"Booting a Xen {options.XenGuestType} guest (Xen {host!.XenVersion} under {accel})" : $"Booting under {accel} with {firmware} firmware";
        ctx.Report(new ProgressReport("Testing disk image", what, 20));
        var watch = Stopwatch.StartNew();
        await using var vm = QemuSession.Start(qemu, ctx);
        Match? seen;
        using (var watching = CancellationTokenSource.CreateLinkedTokenSource(ctx.Cancellation))
        {
            var stages = ReportBootStagesAsync(vm, what, xen, options.Timeout, watch, ctx, watching.Token);
            try
            {
                // Under Xen, Xen's and dom0's own output comes first: the pattern counts only in what
                // follows the dom0 init's "starting the guest" line.
                var from = 0;
                if (xen)
                {
                    var marker = await vm.WaitForAsync(new Regex(Regex.Escape(XenGuestConfig.GuestStartMarker)), options.Timeout, 0, ctx.Cancellation).ConfigureAwait(false);
                    from = marker is null ? int.MaxValue : marker.Index + marker.Length;
                }

                var left = options.Timeout - watch.Elapsed;
                seen = from == int.MaxValue || left <= TimeSpan.Zero
                    ? null
                    : await vm.WaitForAsync(new Regex(options.Pattern, RegexOptions.Multiline), left, from, ctx.Cancellation).ConfigureAwait(false);
            }
            finally
            {
                await watching.CancelAsync().ConfigureAwait(false);
                await stages.ConfigureAwait(false);
            }
        }

        var bootSeconds = watch.Elapsed.TotalSeconds;
        result = result with
        {
            BootTested = true,
            Booted = seen is not null,
            BootSeconds = seen is null ? null : Math.Round(bootSeconds, 2),
            Firmware = xen ? null : firmware,
            Accelerator = accel,
            AcceleratorReason = reason,
            SerialLogPath = log,
            Hypervisor = options.Hypervisor,
            XenGuestType = xen ? options.XenGuestType : null,
            XenVersion = host?.XenVersion,
        };
        if (seen is null)
        {
            var tail = string.Join('\n', vm.Serial.Replace("\r", string.Empty).Split('\n').TakeLast(15));
            ctx.Warning($"The guest did not reach /{options.Pattern}/ within {options.Timeout.TotalSeconds:0} s{(vm.HasExited ? " (QEMU exited)" : string.Empty)}. Serial log: {log}\n{tail}");
            return result;
        }

        ctx.Verbose($"Reached /{options.Pattern}/ after {bootSeconds:0.0} s.");
        if (options.Commands.Count == 0)
        {
            return result;
        }

        ctx.Report(new ProgressReport("Testing disk image", $"Logging in as {options.User}", 70));
        var console = new GuestConsole(vm, seen.Index + seen.Length);
        await console.LoginAsync(options.User, options.Password, TimeSpan.FromSeconds(60), ctx.Cancellation).ConfigureAwait(false);
        var outputs = new List<GuestCommandResult>();
        foreach (var command in options.Commands)
        {
            ctx.Report(new ProgressReport("Testing disk image", $"Running: {command}", 80));
            var r = await console.RunAsync(command, TimeSpan.FromSeconds(60), ctx.Cancellation).ConfigureAwait(false);
            ctx.Verbose($"{command} -> exit {r.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none (timed out)"}");
            outputs.Add(r);
        }

        return result with { Commands = outputs };
    }

    /// <summary>
    /// While the guest boots, reports once a second the stage its serial console shows (firmware,
    /// GRUB, kernel, init, login) and the time spent against the timeout.
    /// </summary>
    private static async Task ReportBootStagesAsync(QemuSession vm, string status, bool xen, TimeSpan timeout, Stopwatch watch, OperationContext ctx, CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                // Under Xen the serial port shows Xen and dom0 first: the guest's stages start at the dom0 init's marker.
                var serial = vm.Serial;
                var guestFrom = xen ? serial.IndexOf(XenGuestConfig.GuestStartMarker, StringComparison.Ordinal) : 0;
                var stage = guestFrom < 0 ? BootStage.Firmware : BootStageDetector.Detect(serial[guestFrom..]);
                var described = xen && guestFrom < 0 ? "Xen and dom0 starting"
                    : xen && stage == BootStage.Firmware ? "guest created, boot loader starting"
                    : BootStageDetector.Describe(stage);
                var percent = 20 + ((int)stage * 10);
                ctx.Report(new ProgressReport(
                    "Testing disk image",
                    $"{status}: {described} ({ProgressHeartbeat.Elapsed(watch.Elapsed)} of at most {ProgressHeartbeat.Elapsed(timeout)})",
                    percent));
                await Task.Delay(TimeSpan.FromSeconds(1), stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The boot ended (or was cancelled): no more reports.
        }
    }
}
