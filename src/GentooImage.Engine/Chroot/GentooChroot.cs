using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Chroot;

/// <summary>
/// Runs a script inside a build root the seed's way (a script file in the root, executed with
/// chroot), in a PID namespace of its own so that nothing it starts outlives the call, with every
/// output line streamed as it arrives and logged.
/// </summary>
public static class GentooChroot
{
    public const string Step = "Invoke-GentooChroot";

    /// <summary>The PATH the script starts with (Gentoo's default for root).</summary>
    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private const int TailLines = 20;

    /// <summary>The complete script file that would run (preamble + script), for -WhatIf.</summary>
    public static string ScriptFile(ChrootOptions options)
    {
        var sb = new StringBuilder();
        sb.Append("# Written by Invoke-GentooChroot; removed when the run ends.\n");
        if (!options.NoProfile)
        {
            sb.Append("if command -v env-update >/dev/null 2>&1; then env-update || echo 'env-update failed' >&2; fi\n");
            sb.Append("if [ -r /etc/profile ]; then . /etc/profile || true; fi\n");
        }

        sb.Append("set -e\n");
        sb.Append(options.Script.Replace("\r\n", "\n", StringComparison.Ordinal));
        if (!options.Script.EndsWith('\n'))
        {
            sb.Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>
    /// Runs the script; returns the root with the run recorded in its History (script SHA-256, exit
    /// code, duration, log path). Non-zero exit: <see cref="ErrorKind.ChrootScriptFailed"/>.
    /// </summary>
    /// <summary>
    /// Checks the request without changing anything (so -WhatIf refuses what the run refuses):
    /// the root's path, the log path, the environment names. Returns the canonical root and log paths.
    /// </summary>
    public static (string RootPath, string? LogPath) Check(BuildRoot root, ChrootOptions options)
    {
        var rootPath = BuildRootGuard.Demand(root);
        var userLog = options.LogPath is null ? null : HostPathPolicy.CheckOutputFile(options.LogPath, "LogPath", HostPathUse.Log, options.AppendLog, "use -Append to add to it");
        foreach (var key in options.Environment.Keys)
        {
            if (key.Length == 0 || !(char.IsAsciiLetter(key[0]) || key[0] == '_') || !key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                throw new GentooImageException(ErrorKind.InvalidArgument,
                    $"'{key}' is not a valid environment variable name. Use letters, digits and '_' (not starting with a digit).", key);
            }
        }

        return (rootPath, userLog);
    }

    public static BuildRoot Invoke(BuildRoot root, ChrootOptions options, OperationContext ctx)
    {
        Privilege.RequireRoot(Step, "chroot(2) and PID namespaces need CAP_SYS_ADMIN");
        var (rootPath, userLog) = Check(root, options);

        if (!options.AllowUnmounted && !IsMounted(root, rootPath))
        {
            throw new GentooImageException(ErrorKind.RootNotMounted,
                $"The build root '{rootPath}' is not mounted by Mount-BuildFilesystems, so the chroot would have no /proc, /dev or /sys. " +
                "Run Mount-BuildFilesystems first, or pass -AllowUnmounted for scripts that only edit files.", rootPath);
        }

        var shell = ChooseShell(rootPath, options.Shell);
        var scriptText = ScriptFile(options);
        var sha = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(options.Script))).ToLowerInvariant();
        var logPath = userLog ?? DefaultLog(rootPath);
        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);

        var varTmp = InsideRoot(rootPath, "/var/tmp");
        Directory.CreateDirectory(varTmp);
        Leftovers.SweepRoot(rootPath, ctx.Verbose);

        // Named for this process (OwnerTag): if pwsh is killed, the next run or Dismount removes it.
        var name = OwnerTag.UniqueName(Leftovers.ChrootScriptPrefix, ".sh");
        var scriptHost = Path.Combine(varTmp, name);
        var scriptInRoot = "/" + Path.GetRelativePath(rootPath, scriptHost);

        var history = StepRecorder.Start(root, Step, ctx.Cancellation, ctx.Warning);
        var start = history.Started;
        var watch = Stopwatch.StartNew();
        var tail = new Queue<string>(TailLines + 1);
        var lines = 0L;
        int exitCode = -1;
        string? detail = null;
        try
        {
            WriteScript(scriptHost, scriptText);
            using var log = new StreamWriter(new FileStream(logPath, options.AppendLog ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16), new UTF8Encoding(false), 1 << 16);
            log.Write($"# Invoke-GentooChroot {start:O} root={rootPath} shell={shell} script-sha256={sha}\n");
            ctx.Verbose($"Running {shell} {scriptInRoot} in '{rootPath}' (PID namespace); log: {logPath}");

            var activity = $"Running the script in {rootPath}";
            var nextReportMs = 0L;
            void OnLine(string line, string tag)
            {
                var report = false;
                long count;
                lock (log)
                {
                    // Progress at most once a second (a million lines must not become a million
                    // progress records): the lines so far, the time, and the latest line.
                    if (watch.ElapsedMilliseconds >= nextReportMs)
                    {
                        nextReportMs = watch.ElapsedMilliseconds + 1000;
                        report = true;
                    }

                    log.Write(line);
                    log.Write('\n');
                    tail.Enqueue(line);
                    if (tail.Count > TailLines)
                    {
                        tail.Dequeue();
                    }

                    count = ++lines;
                }

                ctx.Information(line, tag);
                if (report)
                {
                    var latest = line.Length > 60 ? line[..57] + "..." : line;
                    ctx.Report(new ProgressReport(activity, $"{count} lines, {ProgressHeartbeat.Elapsed(watch.Elapsed)}: {latest}", -1, 4));
                }
            }

            var spec = new ProcessSpec("env", Arguments(rootPath, shell, scriptInRoot))
            {
                ClearEnvironment = true,
                Environment = Environment(options),
                WorkingDirectory = "/",
                CaptureOutput = false,
                OnStdout = l => OnLine(l, "stdout"),
                OnStderr = l => OnLine(l, "stderr"),
                Timeout = options.Timeout,
            };

            ProcessResult result;
            ctx.Report(new ProgressReport(activity, $"{shell} {scriptInRoot}", -1, 4));
            try
            {
                result = ProcessRunner.Instance.RunAsync(spec, ctx.Cancellation).GetAwaiter().GetResult();
            }
            catch (Exception ex) when (StepRecorder.OutcomeOf(ex, ctx.Cancellation) == StepOutcome.Cancelled)
            {
                detail = "cancelled; the script's processes were killed";
                throw;
            }

            lock (log)
            {
                log.Write($"# exit code {(result.TimedOut ? "timeout" : result.ExitCode)} after {watch.Elapsed.TotalSeconds:0.000}s\n");
            }

            exitCode = result.ExitCode;
            if (result.TimedOut)
            {
                detail = $"timed out after {options.Timeout!.Value.TotalSeconds:0.#} s";
                throw new GentooImageException(ErrorKind.ChrootScriptTimedOut,
                    $"The script in '{rootPath}' did not finish within {options.Timeout!.Value.TotalSeconds:0.#} s; all its processes were killed. " +
                    $"Log: {logPath}. Raise -TimeoutSec or look at the log.{TailText(tail)}", rootPath);
            }

            if (result.ExitCode != 0)
            {
                detail = $"exit code {result.ExitCode}";
                throw new GentooImageException(ErrorKind.ChrootScriptFailed,
                    $"The script in '{rootPath}' failed with exit code {result.ExitCode}. Log: {logPath}. Fix the script (it runs with set -e) and run it again.{TailText(tail)}",
                    rootPath);
            }

            detail = $"exit code 0, {lines} lines";
        }
        catch (Exception ex)
        {
            TryDelete(scriptHost);
            history.Failed(ex, detail, Data());
            throw;
        }

        TryDelete(scriptHost);

        // The script has run: a state that cannot be saved is a warning, not a failure of the step.
        history.Finish(StepOutcome.Succeeded, detail, Data(), guardSave: true);
        return root;

        Dictionary<string, string> Data() => new()
        {
            ["ScriptSha256"] = sha,
            ["ExitCode"] = exitCode.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["LogPath"] = logPath,
            ["Shell"] = shell,
            ["Lines"] = lines.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    /// <summary>
    /// The argument vector for env(1): unshare gives the script a PID namespace whose init is the shell: when it exits, or when
    /// unshare is killed (--kill-child), the kernel kills every process left in the namespace. A
    /// private mount namespace carries a proc of that PID namespace on the root's /proc.
    /// </summary>
    internal static List<string> Arguments(string rootPath, string shell, string scriptInRoot)
    {
        // env --default-signal: .NET ignores SIGPIPE and ignored signals survive exec; a shell cannot
        // undo that ("yes | head" would loop forever), so the defaults are restored before unshare.
        var args = new List<string> { "--default-signal", ToolLocator.Require("unshare"), "--pid", "--fork", "--kill-child" };
        var proc = PathInRoot.Resolve(rootPath, "/proc");
        if (proc != rootPath && PathInRoot.IsAtOrBelow(proc, rootPath) && Directory.Exists(proc))
        {
            args.Add("--mount");
            args.Add("--propagation=private");
            args.Add("--mount-proc=" + proc);
        }

        args.AddRange(new[] { "--", ToolLocator.Require("chroot"), rootPath, shell, scriptInRoot });
        return args;
    }

    private static Dictionary<string, string?> Environment(ChrootOptions options)
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["HOME"] = "/root",
            ["PATH"] = DefaultPath,
            ["SHELL"] = null,
        };
        if (System.Environment.GetEnvironmentVariable("TERM") is { Length: > 0 } term)
        {
            env["TERM"] = term;
        }

        foreach (var (k, v) in options.Environment)
        {
            env[k] = v;
        }

        return env;
    }

    private static bool IsMounted(BuildRoot root, string rootPath)
    {
        if (!root.IsMounted)
        {
            return false;
        }

        var proc = rootPath + "/proc";
        return MountTable.Read().Any(m => m.MountPoint == proc);
    }

    private static string ChooseShell(string rootPath, string? requested)
    {
        bool Exists(string p)
        {
            var host = PathInRoot.Resolve(rootPath, p);
            return PathInRoot.IsAtOrBelow(host, rootPath) && File.Exists(host);
        }

        if (requested is not null)
        {
            if (!requested.StartsWith('/') || !Exists(requested))
            {
                throw new GentooImageException(ErrorKind.InvalidArgument,
                    $"The shell '{requested}' does not exist in the root '{rootPath}'. Give an absolute path inside the root, e.g. /bin/sh.", requested);
            }

            return requested;
        }

        if (Exists("/bin/bash"))
        {
            return "/bin/bash";
        }

        if (Exists("/bin/sh"))
        {
            return "/bin/sh";
        }

        throw new GentooImageException(ErrorKind.InvalidArgument,
            $"The root '{rootPath}' has neither /bin/bash nor /bin/sh. Extract a stage3 into it first, or pass -Shell.", rootPath);
    }

    private static string InsideRoot(string rootPath, string pathInRoot)
    {
        var host = PathInRoot.Resolve(rootPath, pathInRoot);
        if (host == rootPath || !PathInRoot.IsAtOrBelow(host, rootPath))
        {
            throw new GentooImageException(ErrorKind.UnsafeMountPoint,
                $"{pathInRoot} in '{rootPath}' resolves to '{host}', not to a directory inside the root. Fix the symlink in the root.", host);
        }

        return host;
    }

    private static string DefaultLog(string rootPath) =>
        Path.Combine(InsideRoot(rootPath, "/var/log/gentooimage"),
            $"chroot-{DateTime.Now:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}.log");

    private static void WriteScript(string path, string text)
    {
        var fso = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (OperatingSystem.IsLinux())
        {
            fso.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        }

        using var fs = new FileStream(path, fso);
        fs.Write(new UTF8Encoding(false).GetBytes(text));
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static string TailText(Queue<string> tail)
    {
        lock (tail)
        {
            return tail.Count == 0 ? string.Empty : $"\nLast {tail.Count} lines:\n" + string.Join('\n', tail);
        }
    }
}
