using System.Diagnostics;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Tests;

/// <summary>
/// Children get SIGKILL when their parent dies (setpriv --pdeathsig KILL). PR_SET_PDEATHSIG follows
/// the forking <em>thread</em>: these tests show the trap and that the launcher avoids it.
/// </summary>
public class ChildLauncherTests
{
    private static bool Alive(int pid) =>
        File.Exists($"/proc/{pid}/stat") && !File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2].StartsWith('Z');

    private static void WaitFor(Func<bool> condition, int ms = 5000)
    {
        var sw = Stopwatch.StartNew();
        while (!condition() && sw.ElapsedMilliseconds < ms)
        {
            Thread.Sleep(20);
        }
    }

    [Fact]
    public void AChildStartedFromAThreadThatEndsLivesOn()
    {
        Process? child = null;
        var t = new Thread(() =>
        {
            child = ChildLauncher.Start(new ProcessStartInfo("sleep", "30"));
            WaitFor(() => File.Exists($"/proc/{child!.Id}/cmdline") && File.ReadAllText($"/proc/{child.Id}/cmdline").StartsWith("sleep", StringComparison.Ordinal));
        });
        t.Start();
        t.Join();
        try
        {
            Thread.Sleep(1000);
            Assert.True(Alive(child!.Id), "the child of the launcher thread died when the calling thread ended");

            // setpriv exec'd the program: the pid is sleep's own.
            var cmdline = File.ReadAllText($"/proc/{child.Id}/cmdline").Split('\0');
            Assert.Equal("sleep", Path.GetFileName(cmdline[0]));
            Assert.NotEqual(Environment.CurrentManagedThreadId, ChildLauncher.LauncherThreadId);
        }
        finally
        {
            child?.Kill();
            child?.WaitForExit();
            child?.Dispose();
        }
    }

    [Fact]
    public void WithoutTheLauncherThreadTheChildDiesWithItsThread()
    {
        // The trap the launcher avoids: the same setpriv wrapper, forked from a thread that ends.
        Process? child = null;
        var t = new Thread(() =>
        {
            var psi = new ProcessStartInfo("sleep", "30");
            ChildLauncher.Wrap(psi);
            child = Process.Start(psi);

            // Only end once setpriv has set the signal and exec'd sleep.
            WaitFor(() => File.Exists($"/proc/{child!.Id}/cmdline") && File.ReadAllText($"/proc/{child.Id}/cmdline").StartsWith("sleep", StringComparison.Ordinal));
        });
        t.Start();
        t.Join();
        try
        {
            child!.WaitForExit(5000);
            Assert.True(child.HasExited, "the parent-death signal did not fire when the forking thread ended");
        }
        finally
        {
            if (!child!.HasExited)
            {
                child.Kill();
            }

            child.Dispose();
        }
    }

    [Fact]
    public async Task ProcessRunnerChildrenHaveSigkillAsTheirParentDeathSignal()
    {
        // The child asks the kernel itself: prctl(PR_GET_PDEATHSIG) = syscall 157 with option 2 on
        // x86_64, from perl (perl-base is essential on Debian).
        const string Ask = "my $b = pack('i', 0); syscall(157, 2, $b) == 0 or die $!; print unpack('i', $b), qq(\\n)";
        var r = await ProcessRunner.Instance.RunAsync(new ProcessSpec("perl", "-e", Ask));
        Assert.True(r.Succeeded, r.StandardError);
        Assert.Equal("9", r.StandardOutput.Trim());

        var plain = Process.Start(new ProcessStartInfo("perl") { ArgumentList = { "-e", Ask }, RedirectStandardOutput = true })!;
        Assert.Equal("0", (await plain.StandardOutput.ReadToEndAsync()).Trim());
        await plain.WaitForExitAsync();
    }
}
