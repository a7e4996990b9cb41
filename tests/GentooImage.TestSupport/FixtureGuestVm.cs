using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace GentooImage.TestSupport;

/// <summary>
/// A guest booted the way Nova boots an instance with a config drive, for the real-guest tests:
/// QEMU (TCG: /dev/kvm hangs on this machine), virtio disk (-snapshot: the image is not changed),
/// the config drive as an IDE CD-ROM (Nova's default for libvirt on x86), a virtio NIC with the
/// drive's MAC on user-mode networking, and the guest's port 22 forwarded to a free port on
/// 127.0.0.1. The serial console goes to a file. Disposing kills QEMU.
/// </summary>
public sealed class FixtureGuestVm : IDisposable
{
    private readonly Process _qemu;
    private readonly Stopwatch _since = Stopwatch.StartNew();

    private FixtureGuestVm(Process qemu, int port, string serialLog, string keyPath)
    {
        _qemu = qemu;
        SshPort = port;
        SerialLogPath = serialLog;
        KeyPath = keyPath;
    }

    public int SshPort { get; }

    public string SerialLogPath { get; }

    public string KeyPath { get; }

    public int ProcessId => _qemu.Id;

    public bool HasExited => _qemu.HasExited;

    private bool _disposed;

    /// <summary>The SSH multiplexing master (ssh -M -N) and its socket, once a login worked.</summary>
    private Process? _master;

    private string? _masterSocket;

    /// <summary>Seconds from QEMU's start to the first successful SSH login, once <see cref="WaitForSsh"/> succeeded.</summary>
    public double? SecondsToSsh { get; private set; }

    /// <summary>
    /// CPU seconds QEMU (all its threads) had used at the first successful SSH login: under TCG the
    /// guest runs on one host thread, so this is about the time the boot takes on an idle core,
    /// whatever else shares the machine.
    /// </summary>
    public double? CpuSecondsToSsh { get; private set; }

    /// <summary>CPU seconds QEMU has used so far (utime + stime from /proc/&lt;pid&gt;/stat).</summary>
    public double CpuSeconds()
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{_qemu.Id}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // Fields 14 and 15 of stat(5), counted from the state (field 3) here.
            var ticks = long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
            return ticks / 100.0;
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }

    /// <summary>A new ed25519 key pair (no passphrase) at <paramref name="path"/>; returns the public key line.</summary>
    public static string NewKey(string path)
    {
        Run(TimeSpan.FromSeconds(30), "ssh-keygen", "-q", "-t", "ed25519", "-N", string.Empty, "-C", "gi-test", "-f", path);
        return File.ReadAllText(path + ".pub").Trim();
    }

    /// <summary>
    /// Starts the guest; <paramref name="guestAddress"/> is where port 22 is forwarded to (a static
    /// address), default QEMU's DHCP lease 10.0.2.15. <paramref name="cpus"/> vCPUs (default 1, as
    /// the tests boot; more run as one host thread each under multi-threaded TCG).
    /// </summary>
    public static FixtureGuestVm Start(string image, string configDriveIso, string serialLog, string keyPath, int memoryMB = 1024, string? guestAddress = null, int cpus = 1)
    {
        var port = FreePort();
        // setpriv --pdeathsig KILL execs QEMU (same pid): it dies with the test's pwsh, even after SIGKILL.
        var psi = new ProcessStartInfo("setpriv") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        var args = new List<string>
        {
            "--pdeathsig", "KILL", "--", "qemu-system-x86_64",
            "-accel", "tcg", "-cpu", "max", "-smp", cpus.ToString(System.Globalization.CultureInfo.InvariantCulture), "-m", memoryMB.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-nodefaults", "-display", "none", "-monitor", "none", "-no-reboot", "-snapshot",
            "-serial", "file:" + serialLog,
            "-drive", $"file={image.Replace(",", ",,", StringComparison.Ordinal)},format=raw,if=virtio",
            "-drive", $"file={configDriveIso.Replace(",", ",,", StringComparison.Ordinal)},format=raw,if=ide,media=cdrom,readonly=on",
            "-netdev", $"user,id=net0,hostfwd=tcp:127.0.0.1:{port}-{guestAddress}:22",
            "-device", $"virtio-net-pci,netdev=net0,mac={FixtureConfigDrive.Mac}",
            "-device", "virtio-rng-pci",
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        var p = Process.Start(psi)!;
        p.StandardOutput.ReadToEndAsync();
        p.StandardError.ReadToEndAsync();
        return new FixtureGuestVm(p, port, serialLog, keyPath);
    }

    /// <summary>
    /// Waits until <paramref name="user"/> can log in with the key; false when the time runs out, QEMU
    /// exits or the kernel panicked. After the first login, one SSH connection stays open as a
    /// multiplexing master (see <see cref="Ssh"/>).
    /// </summary>
    public bool WaitForSsh(string user, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !_qemu.HasExited && !Panicked())
        {
            var r = Ssh(user, "true", TimeSpan.FromSeconds(30));
            if (r.ExitCode == 0)
            {
                SecondsToSsh = _since.Elapsed.TotalSeconds;
                CpuSecondsToSsh = CpuSeconds();
                StartMaster(user);
                return true;
            }

            Thread.Sleep(2000);
        }

        return false;
    }

    /// <summary>True once the serial log shows a kernel panic (the guest then hangs until the timeout: nothing reboots it).</summary>
    public bool Panicked()
    {
        try
        {
            using var stream = new FileStream(SerialLogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd().Contains("Kernel panic - not syncing", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// Runs <paramref name="command"/> in the guest as <paramref name="user"/> over SSH with the key
    /// only. Once <see cref="WaitForSsh"/> has logged in, the command runs as a new session on that
    /// login's connection (OpenSSH multiplexing): no key exchange, authentication or sshd start per
    /// command, which under TCG cost seconds each. A call with <paramref name="extraOptions"/> (other
    /// authentication, say) always makes a connection of its own.
    /// </summary>
    public (int ExitCode, string Output, string Error) Ssh(string user, string command, TimeSpan? timeout = null, params string[] extraOptions)
    {
        var args = new List<string>(extraOptions);
        args.AddRange(ClientOptions());
        args.AddRange(new[] { "-o", "ControlMaster=no", "-o", "ControlPath=" + (extraOptions.Length == 0 ? ControlPath(user) : "none") });
        args.Add(user + "@127.0.0.1");
        args.Add(command);
        return Run(timeout ?? TimeSpan.FromSeconds(120), "ssh", args.ToArray(), check: false);
    }

    private string[] ClientOptions() => new[]
    {
        "-p", SshPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "-i", KeyPath, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
        "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR",
    };

    /// <summary>
    /// The master connection's socket, beside the key (one guest per key directory), or in /tmp when
    /// that path is too long for a unix socket (108 bytes, and ssh -M adds a suffix while it binds).
    /// </summary>
    private string ControlPath(string user)
    {
        var path = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(KeyPath))!, $"ssh-mux-{user}");
        return path.Length <= 80 ? path : Path.Combine("/tmp", $"gi-ssh-mux-{Environment.ProcessId}-{SshPort}-{user}");
    }

    /// <summary>
    /// One SSH connection that stays open (ssh -M -N) for later commands to share. It runs under
    /// setpriv --pdeathsig KILL, so it never outlives the test process, and ends with QEMU or Dispose.
    /// Without it (it did not come up) every command connects on its own.
    /// </summary>
    private void StartMaster(string user)
    {
        if (_master is not null)
        {
            return;
        }

        var socket = ControlPath(user);
        File.Delete(socket); // a master that was killed leaves its socket, and ssh -M will not replace one
        _masterSocket = socket;
        var psi = new ProcessStartInfo("setpriv") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in new[] { "--pdeathsig", "KILL", "--", "ssh", "-M", "-N" }.Concat(ClientOptions())
            .Concat(new[] { "-o", "ControlPath=" + socket, "-o", "ControlPersist=no", "-o", "ServerAliveInterval=15", user + "@127.0.0.1" }))
        {
            psi.ArgumentList.Add(a);
        }

        _master = Process.Start(psi)!;
        _master.StandardOutput.ReadToEndAsync();
        _master.StandardError.ReadToEndAsync();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!File.Exists(socket) && !_master.HasExited && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(200);
        }
    }

    private void StopMaster()
    {
        if (_master is null)
        {
            return;
        }

        try
        {
            if (!_master.HasExited)
            {
                _master.Kill(entireProcessTree: true);
            }

            _master.WaitForExit();
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _master.Dispose();
        _master = null;
        File.Delete(_masterSocket!);
    }

    /// <summary>Stops QEMU; a second call does nothing.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        StopMaster();
        try
        {
            if (!_qemu.HasExited)
            {
                _qemu.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _qemu.WaitForExit();
        _qemu.Dispose();
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static (int ExitCode, string Output, string Error) Run(TimeSpan timeout, string file, params string[] args) => Run(timeout, file, args, check: true);

    private static (int ExitCode, string Output, string Error) Run(TimeSpan timeout, string file, string[] args, bool check)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            return (-1, output.Result, error.Result + $"\n(timed out after {timeout.TotalSeconds:0} s)");
        }

        p.WaitForExit();
        if (check && p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} failed ({p.ExitCode}): {error.Result}");
        }

        return (p.ExitCode, output.Result, error.Result);
    }
}
