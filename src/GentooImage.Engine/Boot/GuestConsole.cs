using System.Globalization;
using System.Text.RegularExpressions;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Boot;

/// <summary>
/// Logs in on a guest's serial console and runs commands, telling their output from the echo of
/// what was typed by markers that only the shell can produce (<c>$((n))</c> is typed, the number
/// comes back).
/// </summary>
public sealed class GuestConsole
{
    private readonly QemuSession _vm;
    private int _cursor;
    private int _sequence;

    public GuestConsole(QemuSession vm, int cursor)
    {
        _vm = vm;
        _cursor = cursor;
    }

    /// <summary>Answers the login prompt (and a password prompt, if one comes) and waits for a working shell.</summary>
    public async Task LoginAsync(string user, string? password, TimeSpan timeout, CancellationToken cancellation)
    {
        var deadline = DateTime.UtcNow + timeout;
        await _vm.SendAsync(user + "\n").ConfigureAwait(false);
        var prompt = await _vm.WaitForAsync(new Regex(@"[Pp]assword:\s*$|[#$>]\s*$", RegexOptions.Multiline), TimeSpan.FromSeconds(20), _cursor, cancellation).ConfigureAwait(false);
        if (prompt is not null && prompt.Value.Contains("assword", StringComparison.Ordinal))
        {
            await _vm.SendAsync((password ?? string.Empty) + "\n").ConfigureAwait(false);
            _cursor = prompt.Index + prompt.Length;
        }

        // The shell is ready when it evaluates arithmetic we type; retry while login finishes.
        // stty -echo and empty prompts first: what we type is then not echoed back and no prompt is
        // printed between a command's output and its end marker, so no piece of a typed line can end
        // up in a command's output (a line editor redrawing its line under load did that); busybox
        // ash and bash then read plain lines without their line editor. dmesg -n 1 (root only; a
        // failure is ignored): the kernel's own messages ("random: crng init done" came in the
        // middle of a command's output under Xen) no longer reach the console we read.
        while (DateTime.UtcNow < deadline)
        {
            var n = ++_sequence;
            await _vm.SendAsync($"stty -echo 2>/dev/null; PS1=''; PS2=''; dmesg -n 1 2>/dev/null; echo GI_READY_$(({n}+0))\n").ConfigureAwait(false);
            var ready = await _vm.WaitForAsync(new Regex($"GI_READY_{n}\\b"), TimeSpan.FromSeconds(5), _cursor, cancellation).ConfigureAwait(false);
            if (ready is not null)
            {
                _cursor = ready.Index + ready.Length;
                return;
            }
        }

        throw new GentooImageException(ErrorKind.BootFailed, $"Could not log in as '{user}' on the serial console within {timeout.TotalSeconds:0} s. Check that the image allows that login (Initialize-CloudGuest -RootPassword Empty for test images).", user);
    }

    /// <summary>Runs one command line in the logged-in shell and returns its output and exit code.</summary>
    public async Task<GuestCommandResult> RunAsync(string command, TimeSpan timeout, CancellationToken cancellation)
    {
        var n = ++_sequence;
        await _vm.SendAsync($"echo GI_BEGIN_$(({n}+0)); {command}\necho GI_END_$(({n}+0))_$?\n").ConfigureAwait(false);
        // \r*: a guest under Xen reaches QEMU's serial port through Xen's UART driver, which adds a
        // \r before every \n, so its lines end in \r\r\n.
        var begin = await _vm.WaitForAsync(new Regex($"GI_BEGIN_{n}\r*\n"), timeout, _cursor, cancellation).ConfigureAwait(false);
        if (begin is null)
        {
            return new GuestCommandResult(command, string.Empty, null);
        }

        var end = await _vm.WaitForAsync(new Regex($"GI_END_{n}_(\\d+)"), timeout, begin.Index + begin.Length, cancellation).ConfigureAwait(false);
        if (end is null)
        {
            return new GuestCommandResult(command, _vm.Serial[(begin.Index + begin.Length)..], null);
        }

        _cursor = end.Index + end.Length;
        var raw = _vm.Serial[(begin.Index + begin.Length)..end.Index];

        // Drop the echo of the 'echo GI_END...' line the terminal printed back, also when the shell's
        // line editor redrew it in pieces (seen under load: a line holding only "0))_$?").
        var endCommand = $"echo GI_END_$(({n}+0))_$?";
        var lines = raw.Replace("\r", string.Empty).Split('\n').ToList();
        lines.RemoveAll(l => l.Contains($"GI_END_$(({n}+0))", StringComparison.Ordinal)
            || (l.TrimEnd().Length >= 4 && endCommand.EndsWith(l.TrimEnd(), StringComparison.Ordinal)));
        var output = string.Join('\n', lines).TrimEnd('\n');
        return new GuestCommandResult(command, output, int.Parse(end.Groups[1].Value, CultureInfo.InvariantCulture));
    }
}
