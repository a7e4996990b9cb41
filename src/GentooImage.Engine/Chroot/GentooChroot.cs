using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Chroot;

/// <summary>
/// Runs a script inside a build root the seed's way (a script file in the root, executed with
/// chroot), in a PID namespace of its own so that nothing it starts outlives the call, with every
/// output line streamed as it arrives and logged. The pieces: <see cref="ChrootScript"/> (the file),
/// <see cref="ChrootCommand"/> (shell, argument vector, environment), <see cref="ChrootOutput"/> (log,
/// information stream, progress).
/// </summary>
public static class GentooChroot
{
    public const string Step = "Invoke-GentooChroot";

    /// <summary>The PATH the script starts with (Gentoo's default for root).</summary>
    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>The complete script file that would run (preamble + script), for -WhatIf.</summary>
    public static string ScriptFile(ChrootOptions options) => ChrootScript.Compose(options);

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

    /// <summary>
    /// Runs the script; returns the root with the run recorded in its History (script SHA-256, exit
    /// code, duration, log path). Non-zero exit: <see cref="ErrorKind.ChrootScriptFailed"/>.
    /// </summary>
    public static BuildRoot Invoke(BuildRoot root, ChrootOptions options, OperationContext ctx, IProcessRunner? runner = null)
    {
        runner ??= ProcessRunner.Instance;
        Privilege.RequireRoot(Step, "chroot(2) and PID namespaces need CAP_SYS_ADMIN");
        var (rootPath, userLog) = Check(root, options);

        if (!options.AllowUnmounted && !IsMounted(root, rootPath))
        {
            throw new GentooImageException(ErrorKind.RootNotMounted,
                $"The build root '{rootPath}' is not mounted by Mount-BuildFilesystems, so the chroot would have no /proc, /dev or /sys. " +
                "Run Mount-BuildFilesystems first, or pass -AllowUnmounted for scripts that only edit files.", rootPath);
        }

        var shell = ChrootCommand.ChooseShell(rootPath, options.Shell);
        var scriptText = ChrootScript.Compose(options);
        var sha = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(options.Script))).ToLowerInvariant();
        var logPath = userLog ?? ChrootOutput.DefaultLog(rootPath);
        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);

        var varTmp = ChrootScript.DirectoryInRoot(rootPath, "/var/tmp");
        Directory.CreateDirectory(varTmp);
        Leftovers.SweepRoot(rootPath, ctx.Verbose);

        // Named for this process (OwnerTag): if pwsh is killed, the next run or Dismount removes it.
        var name = OwnerTag.UniqueName(Leftovers.ChrootScriptPrefix, ".sh");
        var scriptHost = Path.Combine(varTmp, name);
        var scriptInRoot = "/" + Path.GetRelativePath(rootPath, scriptHost);

        var history = StepRecorder.Start(root, Step, ctx);
        var start = history.Started;
        var watch = Stopwatch.StartNew();
        var activity = $"Running the script in {rootPath}";
        ChrootOutput? output = null;
        int exitCode = -1;
        string? detail = null;
        try
        {
            ChrootScript.Write(scriptHost, scriptText);
            output = new ChrootOutput(logPath, options.AppendLog, ctx, watch, activity);
            output.Note($"# Invoke-GentooChroot {start:O} root={rootPath} shell={shell} script-sha256={sha}\n");
            ctx.Verbose($"Running {shell} {scriptInRoot} in '{rootPath}' (PID namespace); log: {logPath}");

            var spec = new ProcessSpec("env", ChrootCommand.Arguments(rootPath, shell, scriptInRoot))
            {
                ClearEnvironment = true,
                Environment = ChrootCommand.Environment(options),
                WorkingDirectory = "/",
                CaptureOutput = false,
                OnStdout = l => output.OnLine(l, "stdout"),
                OnStderr = l => output.OnLine(l, "stderr"),
                Timeout = options.Timeout,
            };

            ProcessResult result;
            ctx.Report(new ProgressReport(activity, $"{shell} {scriptInRoot}", -1, 4));
            try
            {
                result = runner.RunAsync(spec, ctx.Cancellation).GetAwaiter().GetResult();
            }
            catch (Exception ex) when (StepRecorder.OutcomeOf(ex, ctx.Cancellation) == StepOutcome.Cancelled)
            {
                detail = "cancelled; the script's processes were killed";
                throw;
            }

            output.Note($"# exit code {(result.TimedOut ? "timeout" : result.ExitCode)} after {watch.Elapsed.TotalSeconds:0.000}s\n");
            exitCode = result.ExitCode;
            if (result.TimedOut)
            {
                detail = $"timed out after {options.Timeout!.Value.TotalSeconds:0.#} s";
                throw new GentooImageException(ErrorKind.ChrootScriptTimedOut,
                    $"The script in '{rootPath}' did not finish within {options.Timeout!.Value.TotalSeconds:0.#} s; all its processes were killed. " +
                    $"Log: {logPath}. Raise -TimeoutSec or look at the log.{output.TailText()}", rootPath);
            }

            if (result.ExitCode != 0)
            {
                detail = $"exit code {result.ExitCode}";
                throw new GentooImageException(ErrorKind.ChrootScriptFailed,
                    $"The script in '{rootPath}' failed with exit code {result.ExitCode}. Log: {logPath}. Fix the script (it runs with set -e) and run it again.{output.TailText()}",
                    rootPath);
            }

            detail = $"exit code 0, {output.Lines} lines";
        }
        catch (Exception ex)
        {
            CleanUp();
            history.Failed(ex, detail, Data());
            throw;
        }

        CleanUp();

        // The script has run: a state that cannot be saved is a warning, not a failure of the step.
        history.Finish(StepOutcome.Succeeded, detail, Data(), guardSave: true);
        return root;

        void CleanUp()
        {
            output?.Dispose();
            ChrootScript.TryDelete(scriptHost);
        }

        Dictionary<string, string> Data() => new()
        {
            ["ScriptSha256"] = sha,
            ["ExitCode"] = exitCode.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["LogPath"] = logPath,
            ["Shell"] = shell,
            ["Lines"] = (output?.Lines ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
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
}
