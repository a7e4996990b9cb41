using System.Collections.Concurrent;
using System.Diagnostics;
using GentooImage.Engine.Chroot;
using GentooImage.Engine.Model;
using GentooImage.Engine.Mounts;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Tests;

/// <summary>A mounted fixture root shared by the chroot tests (mounted once: the tests only run scripts).</summary>
public sealed class ChrootRootFixture : IDisposable
{
    public ChrootRootFixture()
    {
        Mounted = new MountedRoot(withBash: false);
        Root = BuildFilesystems.Mount(Mounted.Root, new BuildMountOptions { PortageTmpfsSize = 64L << 20 }, OperationContext.None);
    }

    public MountedRoot Mounted { get; }

    public BuildRoot Root { get; }

    public void Dispose() => Mounted.Dispose();
}

[Collection(RealMountsCollection.Name)]
public sealed class GentooChrootTests : IClassFixture<ChrootRootFixture>
{
    private readonly ChrootRootFixture _f;

    public GentooChrootTests(ChrootRootFixture f) => _f = f;

    private string RootPath => _f.Mounted.Path;

    private static (OperationContext Ctx, ConcurrentQueue<(string Line, string Tag)> Lines) Capture(CancellationToken token = default)
    {
        var lines = new ConcurrentQueue<(string, string)>();
        return (new OperationContext(token, information: (m, t) => lines.Enqueue((m, t))), lines);
    }

    private static ChrootOptions Script(string s) => new() { Script = s };

    /// <summary>Pids of host processes whose command line contains <paramref name="marker"/>.</summary>
    private static List<int> ProcessesWith(string marker) =>
        Directory.EnumerateDirectories("/proc")
            .Select(d => (d, ok: int.TryParse(Path.GetFileName(d), out var pid), pid))
            .Where(x => x.ok && x.pid != Environment.ProcessId)
            .Where(x =>
            {
                try
                {
                    return File.ReadAllText(x.d + "/cmdline").Replace('\0', ' ').Contains(marker, StringComparison.Ordinal);
                }
                catch (IOException)
                {
                    return false;
                }
            })
            .Select(x => x.pid)
            .ToList();

    private List<string> ScriptFilesLeft() =>
        Directory.GetFiles(Path.Combine(RootPath, "var/tmp"), "gentooimage-*.sh").ToList();

    [Fact]
    public void BothStreamsArriveCompleteAndInOrderTaggedAndLogged()
    {
        var (ctx, lines) = Capture();
        var root = GentooChroot.Invoke(_f.Root, Script("i=1; while [ $i -le 3000 ]; do echo \"out $i\"; echo \"err $i\" >&2; i=$((i+1)); done"), ctx);
        var outs = lines.Where(l => l.Tag == "stdout").Select(l => l.Line).ToList();
        var errs = lines.Where(l => l.Tag == "stderr").Select(l => l.Line).ToList();
        Assert.Equal(Enumerable.Range(1, 3000).Select(i => $"out {i}"), outs);
        Assert.Equal(Enumerable.Range(1, 3000).Select(i => $"err {i}"), errs);

        var h = root.History.Last();
        Assert.Equal("Invoke-GentooChroot", h.Step);
        Assert.Equal(StepOutcome.Succeeded, h.Outcome);
        Assert.Equal("0", h.Data["ExitCode"]);
        Assert.Equal(64, h.Data["ScriptSha256"].Length);
        var log = File.ReadAllLines(h.Data["LogPath"]);
        Assert.StartsWith(RootPath + "/var/log/gentooimage/", h.Data["LogPath"]);
        Assert.Equal(6000, log.Count(l => l.StartsWith("out ", StringComparison.Ordinal) || l.StartsWith("err ", StringComparison.Ordinal)));
        Assert.Empty(ScriptFilesLeft());
    }

    [Fact]
    public void LinesStreamAsTheyArriveNotAtTheEnd()
    {
        var go = Path.Combine(RootPath, "tmp/go-" + Guid.NewGuid().ToString("N"));
        var ctx = new OperationContext(information: (m, _) =>
        {
            if (m == "ping")
            {
                File.WriteAllText(go, "x"); // the script only goes on once the host has seen its first line
            }
        });
        var script = $"echo ping; n=0; while [ ! -e /tmp/{Path.GetFileName(go)} ]; do sleep 0.05; n=$((n+1)); [ $n -lt 200 ] || exit 9; done; echo pong";
        GentooChroot.Invoke(_f.Root, Script(script), ctx);
        File.Delete(go);
    }

    [Fact]
    public void NonZeroExitIsChrootScriptFailedWithCodeLogAndTailAndIsRecorded()
    {
        var ex = Assert.Throws<GentooImageException>(() => GentooChroot.Invoke(_f.Root,
            Script("i=1; while [ $i -le 30 ]; do echo line$i; i=$((i+1)); done; false; echo not-reached"), Capture().Ctx));
        Assert.Equal(ErrorKind.ChrootScriptFailed, ex.Kind);
        Assert.Contains("exit code 1", ex.Message);
        Assert.Contains("line30", ex.Message);
        Assert.Contains("line11", ex.Message);
        Assert.DoesNotContain("line10\n", ex.Message);
        Assert.DoesNotContain("not-reached", ex.Message); // set -e
        var h = _f.Root.History.Last();
        Assert.Equal(StepOutcome.Failed, h.Outcome);
        Assert.Equal("1", h.Data["ExitCode"]);
        Assert.Contains(h.Data["LogPath"], ex.Message);

        var ex2 = Assert.Throws<GentooImageException>(() => GentooChroot.Invoke(_f.Root, Script("exit 42"), Capture().Ctx));
        Assert.Contains("exit code 42", ex2.Message);
        GentooChroot.Invoke(_f.Root, Script("set +e; false; echo survived"), Capture().Ctx);
    }

    [Fact]
    public void EnvironmentIsCleanExceptTermAndGivenVariables()
    {
        Environment.SetEnvironmentVariable("GI_HOST_SECRET", "leak");
        try
        {
            var (ctx, lines) = Capture();
            GentooChroot.Invoke(_f.Root, new ChrootOptions
            {
                Script = "env | sort; echo \"profile=$PROFILE_SOURCED\"",
                Environment = new Dictionary<string, string> { ["MAKEOPTS"] = "-j2 -l2", ["USE"] = "a b 'c' $(x)" },
            }, ctx);
            var env = lines.Select(l => l.Line).ToList();
            Assert.Contains("MAKEOPTS=-j2 -l2", env);
            Assert.Contains("USE=a b 'c' $(x)", env);
            Assert.Contains("HOME=/root", env);
            Assert.Contains("profile=1", env);
            Assert.Contains(env, l => l.StartsWith("PATH=", StringComparison.Ordinal) && l.Contains("/usr/sbin"));
            Assert.DoesNotContain(env, l => l.StartsWith("GI_HOST_SECRET", StringComparison.Ordinal));
            Assert.DoesNotContain(env, l => l.StartsWith("DOTNET_", StringComparison.Ordinal));

            var (ctx2, lines2) = Capture();
            GentooChroot.Invoke(_f.Root, new ChrootOptions { Script = "echo \"profile=${PROFILE_SOURCED:-no}\"", NoProfile = true }, ctx2);
            Assert.Contains("profile=no", lines2.Select(l => l.Line));
            Assert.Equal(ErrorKind.InvalidArgument, Assert.Throws<GentooImageException>(() => GentooChroot.Invoke(_f.Root,
                new ChrootOptions { Script = "true", Environment = new Dictionary<string, string> { ["A=B"] = "x" } }, Capture().Ctx)).Kind);
        }
        finally
        {
            Environment.SetEnvironmentVariable("GI_HOST_SECRET", null);
        }
    }

    [Fact]
    public void BackgroundProcessesAreGoneWhenTheCallReturns()
    {
        var marker = "9" + Random.Shared.Next(100000, 999999);
        var (ctx, lines) = Capture();
        GentooChroot.Invoke(_f.Root, Script($"sleep {marker} & (setsid sleep {marker} &) ; echo pid=$$; ls /proc | grep -c '^[0-9]'"), ctx);
        Assert.Contains("pid=1", lines.Select(l => l.Line)); // the shell is the init of its own PID namespace
        var deadline = Stopwatch.StartNew();
        while (ProcessesWith(marker).Count > 0 && deadline.Elapsed < TimeSpan.FromSeconds(2))
        {
            Thread.Sleep(20);
        }

        Assert.Empty(ProcessesWith(marker));
    }

    [Fact]
    public void CancellationKillsTheWholeTreeQuicklyAndRemovesTheScript()
    {
        var marker = "8" + Random.Shared.Next(100000, 999999);
        using var cts = new CancellationTokenSource();
        var (ctx, _) = Capture(cts.Token);
        var task = Task.Run(() => GentooChroot.Invoke(_f.Root, Script($"sleep {marker} & sleep {marker}"), ctx));
        var wait = Stopwatch.StartNew();
        while (ProcessesWith(marker).Count < 2 && wait.Elapsed < TimeSpan.FromSeconds(10))
        {
            Thread.Sleep(20);
        }

        Assert.Equal(2, ProcessesWith(marker).Count);
        var stop = Stopwatch.StartNew();
        cts.Cancel();
        var ex = Assert.Throws<GentooImageException>(() => task.GetAwaiter().GetResult());
        Assert.Equal(ErrorKind.OperationCancelled, ex.Kind);
        Assert.True(stop.Elapsed < TimeSpan.FromSeconds(3), $"took {stop.Elapsed}");
        Assert.Empty(ProcessesWith(marker));
        Assert.Empty(ScriptFilesLeft());
        Assert.Equal(StepOutcome.Cancelled, _f.Root.History.Last().Outcome);
    }

    [Fact]
    public void TimeoutKillsTheTreeWithChrootScriptTimedOut()
    {
        var marker = "7" + Random.Shared.Next(100000, 999999);
        var stop = Stopwatch.StartNew();
        var ex = Assert.Throws<GentooImageException>(() => GentooChroot.Invoke(_f.Root,
            new ChrootOptions { Script = $"echo started; sleep {marker} & sleep {marker}", Timeout = TimeSpan.FromSeconds(1) }, Capture().Ctx));
        Assert.Equal(ErrorKind.ChrootScriptTimedOut, ex.Kind);
        Assert.Contains("started", ex.Message);
        Assert.True(stop.Elapsed < TimeSpan.FromSeconds(4), $"took {stop.Elapsed}");
        Assert.Empty(ProcessesWith(marker));
        Assert.Empty(ScriptFilesLeft());
    }

    [Fact]
    public void ShellFallsBackToShAndAnUnmountedRootIsRefused()
    {
        var (ctx, lines) = Capture();
        var root = GentooChroot.Invoke(_f.Root, Script("echo ok"), ctx);
        Assert.Equal("/bin/sh", root.History.Last().Data["Shell"]); // the fixture has no bash
        Assert.Equal(ErrorKind.InvalidArgument, Assert.Throws<GentooImageException>(() =>
            GentooChroot.Invoke(_f.Root, new ChrootOptions { Script = "true", Shell = "/bin/zsh" }, ctx)).Kind);

        using var plain = new MountedRoot();
        var ex = Assert.Throws<GentooImageException>(() => GentooChroot.Invoke(plain.Root, Script("true"), ctx));
        Assert.Equal(ErrorKind.RootNotMounted, ex.Kind);
        var (ctx2, lines2) = Capture();
        GentooChroot.Invoke(plain.Root, new ChrootOptions { Script = "echo edited > /etc/motd; readlink /proc/self", AllowUnmounted = true }, ctx2);
        Assert.Equal("edited\n", File.ReadAllText(Path.Combine(plain.Path, "etc/motd")));
        Assert.Empty(MountedRoot.MountsBelow(plain.Path));
    }

    [Fact]
    public void AMillionLinesStreamWithFlatMemory()
    {
        long count = 0;
        long peak = 0;
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var ctx = new OperationContext(information: (m, _) =>
        {
            if (Interlocked.Increment(ref count) % 50000 == 0)
            {
                var now = GC.GetTotalMemory(false);
                if (now > Interlocked.Read(ref peak))
                {
                    Interlocked.Exchange(ref peak, now);
                }
            }
        });
        // ~100 bytes a line: buffering the output would hold ~200 MB of strings.
        var root = GentooChroot.Invoke(_f.Root, new ChrootOptions
        {
            Script = "yes 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' | head -n 1000000",
            NoProfile = true,
        }, ctx);
        Assert.Equal(1_000_000, count);
        Assert.True(peak - baseline < 64L << 20, $"heap grew by {(peak - baseline) >> 20} MB");
        Assert.True(new FileInfo(root.History.Last().Data["LogPath"]).Length > 96_000_000);
        File.Delete(root.History.Last().Data["LogPath"]);
    }
}
