using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Tests;

public class ProcessRunnerTests
{
    [Fact]
    public async Task PassesArgumentsAsAVectorNotThroughAShell()
    {
        var r = await ProcessRunner.Instance.RunAsync(new ProcessSpec("printf", "%s|", "a b", "$(id)", "'q'"));
        Assert.Equal("a b|$(id)|'q'|", r.StandardOutput.TrimEnd('\n'));
        Assert.True(r.Succeeded);
    }

    [Fact]
    public async Task StreamsLinesAndReportsExitCode()
    {
        var lines = new List<string>();
        var r = await ProcessRunner.Instance.RunAsync(new ProcessSpec("sh", "-c", "echo one; echo two >&2; exit 3")
        {
            OnStdout = l => { lock (lines) { lines.Add("out:" + l); } },
            OnStderr = l => { lock (lines) { lines.Add("err:" + l); } },
        });
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("out:one", lines);
        Assert.Contains("err:two", lines);
        var ex = Assert.Throws<GentooImageException>(() => r.EnsureSuccess());
        Assert.Equal(ErrorKind.ToolFailed, ex.Kind);
        Assert.Contains("exited with code 3", ex.Message);
    }

    [Fact]
    public async Task EnvironmentCanBeClearedAndSet()
    {
        var r = await ProcessRunner.Instance.RunAsync(new ProcessSpec("/usr/bin/env")
        {
            ClearEnvironment = true,
            Environment = new Dictionary<string, string?> { ["ONLY"] = "this" },
        });
        Assert.Equal("ONLY=this", r.StandardOutput.Trim());
    }

    [Fact]
    public async Task MissingToolIsToolMissing()
    {
        var ex = await Assert.ThrowsAsync<GentooImageException>(() => ProcessRunner.Instance.RunAsync(new ProcessSpec("gi-no-such-tool-x")));
        Assert.Equal(ErrorKind.ToolMissing, ex.Kind);
        Assert.Contains("Bootstrap", ex.Message);
    }

    [Fact]
    public async Task CancellationKillsTheProcessTreePromptly()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var marker = "gi-sleep-" + Guid.NewGuid().ToString("N")[..8];
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<GentooImageException>(() =>
            ProcessRunner.Instance.RunAsync(new ProcessSpec("sh", "-c", $"sleep 30 & exec -a {marker} sleep 31"), cts.Token));
        Assert.Equal(ErrorKind.OperationCancelled, ex.Kind);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"took {sw.Elapsed}");
        var ps = await ProcessRunner.Instance.RunAsync(new ProcessSpec("pgrep", "-f", marker));
        Assert.Equal(1, ps.ExitCode);
    }

    [Fact]
    public async Task TimeoutIsReportedNotThrown()
    {
        var r = await ProcessRunner.Instance.RunAsync(new ProcessSpec("sleep", "10") { Timeout = TimeSpan.FromMilliseconds(200) });
        Assert.True(r.TimedOut);
        Assert.False(r.Succeeded);
    }

    [Fact]
    public async Task StandardInputIsWritten()
    {
        var r = await ProcessRunner.Instance.RunAsync(new ProcessSpec("cat") { StandardInput = "hello\n" });
        Assert.Equal("hello\n", r.StandardOutput);
    }

    [Fact]
    public void DisplayQuotesForReading() =>
        Assert.Equal("echo 'a b' 'it'\\''s' x=1", new ProcessSpec("echo", "a b", "it's", "x=1").Display);
}
