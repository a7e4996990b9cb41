using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Chroot;

/// <summary>The command the script runs under: the shell, the env/unshare/chroot argument vector and the clean environment.</summary>
internal static class ChrootCommand
{
    /// <summary>
    /// The argument vector for env(1): unshare gives the script a PID namespace whose init is the shell: when it exits, or when
    /// unshare is killed (--kill-child), the kernel kills every process left in the namespace. A
    /// private mount namespace carries a proc of that PID namespace on the root's /proc.
    /// </summary>
    public static List<string> Arguments(string rootPath, string shell, string scriptInRoot)
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

    /// <summary>The script's environment: HOME, Gentoo's PATH for root, the caller's TERM, then the user's variables.</summary>
    public static Dictionary<string, string?> Environment(ChrootOptions options)
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["HOME"] = "/root",
            ["PATH"] = GentooChroot.DefaultPath,
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

    /// <summary>The shell asked for (it must exist in the root), else /bin/bash, else /bin/sh.</summary>
    public static string ChooseShell(string rootPath, string? requested)
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
}
