using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Boot;

/// <summary>
/// A running QEMU guest whose serial console (ttyS0) is wired to this process: everything the
/// guest prints is kept (and logged) and can be waited for; text can be typed into it. Disposing
/// the session always ends the VM, so a VM never outlives the call that started it.
/// </summary>
public sealed class QemuSession : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _serial = new();
    private readonly StreamWriter? _log;
    private readonly Task _reader;
    private readonly Task _errReader;
    private readonly StringBuilder _stderr = new();
    private readonly string? _varsCopy;
    private readonly SemaphoreSlim _changed = new(0);
    private int _disposed;

    private QemuSession(Process process, StreamWriter? log, string? varsCopy)
    {
        _process = process;
        _log = log;
        _varsCopy = varsCopy;
        _reader = Task.Run(ReadSerialAsync);
        _errReader = Task.Run(async () =>
        {
            var text = await process.StandardError.ReadToEndAsync().ConfigureAwait(false);
            lock (_stderr)
            {
                _stderr.Append(text);
            }
        });
    }

    /// <summary>The copy of the OVMF variables in /tmp: gi-ovmf-vars-&lt;owner tag&gt;.fd (removed by the next run if this one is killed).</summary>
    public const string OvmfVarsPrefix = "gi-ovmf-vars-";

    /// <summary>Everything the guest has printed on its serial console so far.</summary>
    public string Serial
    {
        get
        {
            lock (_serial)
            {
                return _serial.ToString();
            }
        }
    }

    /// <summary>What QEMU itself printed on stderr (warnings, aborts).</summary>
    public string QemuErrors
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public int ProcessId => _process.Id;

    /// <summary>The QEMU argument vector for <paramref name="options"/> (no shell involved).</summary>
    public static IReadOnlyList<string> BuildArguments(QemuOptions options, string? ovmfVars)
    {
        if (options.Xen is { } xen)
        {
            return BuildXenArguments(options, xen);
        }

        var args = new List<string>
        {
            "-accel", options.Accelerator == Accelerator.Kvm ? "kvm" : "tcg",
            "-m", options.MemoryMB.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-smp", "1",
        };
        args.AddRange(Headless);
        args.AddRange(new[] { "-drive", $"file={EscapeOption(options.ImagePath)},format={options.ImageFormat},if=virtio" });
        if (options.Accelerator == Accelerator.Kvm)
        {
            args.AddRange(new[] { "-cpu", "host" });
        }

        if (options.Firmware == BootFirmware.Uefi)
        {
            args.AddRange(new[]
            {
                "-machine", "q35",
                "-drive", $"if=pflash,format=raw,unit=0,readonly=on,file={EscapeOption(options.OvmfCodePath)}",
                "-drive", $"if=pflash,format=raw,unit=1,file={EscapeOption(ovmfVars ?? options.OvmfVarsPath)}",
            });
        }

        if (options.Network)
        {
            args.AddRange(new[] { "-netdev", "user,id=net0", "-device", "virtio-net-pci,netdev=net0" });
        }

        return args;
    }

    /// <summary>
    /// Xen inside QEMU, as Xen's own CI boots it: the hypervisor through QEMU's multiboot loader with
    /// the dom0 kernel (and its command line) and initramfs as modules; under TCG a CPU with SVM and
    /// nested paging, which PVH and HVM guests need (Debian's Xen has no shadow paging). dom0's root
    /// is the first virtio disk, the image the second; both run with -snapshot.
    /// </summary>
    private static IReadOnlyList<string> BuildXenArguments(QemuOptions options, XenBoot xen)
    {
        var modules = $"{EscapeOption(xen.Host.Dom0Kernel)} {EscapeOption(xen.Dom0CommandLine)},{EscapeOption(xen.Host.Dom0Initrd)}";
        var args = new List<string>
        {
            "-accel", options.Accelerator == Accelerator.Kvm ? "kvm" : "tcg",
            "-cpu", options.Accelerator == Accelerator.Kvm ? "host" : "qemu64,+svm,+npt",
            "-m", XenGuestConfig.HostMemoryMB(options.MemoryMB).ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-smp", "2",
        };
        args.AddRange(Headless);
        args.AddRange(new[]
        {
            "-kernel", xen.Host.Hypervisor,
            "-append", XenGuestConfig.HypervisorCommandLine,
            "-initrd", modules,
            "-drive", $"file={EscapeOption(xen.Host.Dom0Disk)},format=raw,if=virtio",
            "-drive", $"file={EscapeOption(options.ImagePath)},format={options.ImageFormat},if=virtio",
        });
        return args;
    }

    /// <summary>
    /// Every VM: no default devices or display, no monitor, the serial port on this process's stdio,
    /// no reboot (a guest that reboots ends the VM) and every disk in -snapshot mode (never written).
    /// </summary>
    private static readonly string[] Headless =
    {
        "-nodefaults", "-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot", "-snapshot",
    };

    /// <summary>Starts the VM. The caller must dispose the session (await using).</summary>
    public static QemuSession Start(QemuOptions options, OperationContext ctx)
    {
        ctx.ThrowIfCancelled("starting QEMU");
        if (options.Firmware == BootFirmware.Hybrid && options.Xen is null)
        {
            throw new GentooImageException(ErrorKind.InvalidArgument, "A VM boots with Bios or Uefi firmware; test a Hybrid image once with each.", options.Firmware);
        }

        var qemu = ToolLocator.Require("qemu-system-x86_64");
        string? vars = null;
        if (options.Firmware == BootFirmware.Uefi && options.Xen is null)
        {
            if (!File.Exists(options.OvmfCodePath))
            {
                throw new GentooImageException(ErrorKind.ToolMissing, $"UEFI boot needs OVMF ('{options.OvmfCodePath}' is missing). Install Debian's 'ovmf' package.", options.OvmfCodePath);
            }

            vars = Path.Combine(Path.GetTempPath(), OwnerTag.UniqueName(OvmfVarsPrefix, ".fd"));
            File.Copy(options.OvmfVarsPath, vars);
        }

        var psi = new ProcessStartInfo(qemu)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in BuildArguments(options, vars))
        {
            psi.ArgumentList.Add(a);
        }

        StreamWriter? log = null;
        try
        {
            if (options.SerialLogPath is not null)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.SerialLogPath))!);
                log = new StreamWriter(FileIdentity.CreateLogNoFollow(options.SerialLogPath, append: false), new UTF8Encoding(false)) { AutoFlush = true };
            }

            ctx.Verbose($"Starting {qemu} {string.Join(' ', psi.ArgumentList)}");
            var process = ChildLauncher.Start(psi); // dies with pwsh (parent-death signal)
            return new QemuSession(process, log, vars);
        }
        catch (Exception ex)
        {
            // Nothing of a VM that never started may stay behind.
            log?.Dispose();
            if (vars is not null)
            {
                File.Delete(vars);
            }

            if (ex is GentooImageException)
            {
                throw;
            }

            throw new GentooImageException(ErrorKind.BootFailed, $"QEMU could not be started: {ex.Message}.", qemu, ex);
        }
    }

    /// <summary>
    /// Waits until the serial output (from <paramref name="fromIndex"/> on) matches
    /// <paramref name="pattern"/>; returns the match, or null when the time runs out or the VM exits.
    /// </summary>
    public async Task<Match?> WaitForAsync(Regex pattern, TimeSpan timeout, int fromIndex, CancellationToken cancellation)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var text = Serial;
            var m = pattern.Match(text, Math.Min(fromIndex, text.Length));
            if (m.Success)
            {
                return m;
            }

            if (_process.HasExited && _reader.IsCompleted)
            {
                m = pattern.Match(Serial, Math.Min(fromIndex, Serial.Length));
                return m.Success ? m : null;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                return null;
            }

            try
            {
                await _changed.WaitAsync(left < TimeSpan.FromMilliseconds(250) ? left : TimeSpan.FromMilliseconds(250), cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw OperationContext.Cancelled("waiting for the guest");
            }
        }
    }

    /// <summary>Types <paramref name="text"/> into the serial console.</summary>
    public async Task SendAsync(string text)
    {
        await _process.StandardInput.WriteAsync(text).ConfigureAwait(false);
        await _process.StandardInput.FlushAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        await _process.WaitForExitAsync().ConfigureAwait(false);
        await Task.WhenAny(Task.WhenAll(_reader, _errReader), Task.Delay(2000)).ConfigureAwait(false);
        _log?.Dispose();
        _process.Dispose();
        if (_varsCopy is not null)
        {
            File.Delete(_varsCopy);
        }
    }

    private async Task ReadSerialAsync()
    {
        var buffer = new char[4096];
        var stdout = _process.StandardOutput;
        int n;
        while ((n = await stdout.ReadAsync(buffer, 0, buffer.Length).ConfigureAwait(false)) > 0)
        {
            var chunk = new string(buffer, 0, n);
            lock (_serial)
            {
                _serial.Append(chunk);
            }

            _log?.Write(chunk);
            _changed.Release();
        }

        _changed.Release();
    }

    /// <summary>QEMU -drive option values escape ',' by doubling it.</summary>
    private static string EscapeOption(string value) => value.Replace(",", ",,");
}
