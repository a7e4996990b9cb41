using System.Runtime.InteropServices;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Kernel;

/// <summary>
/// Runs kconfig's make goals (defconfig, olddefconfig) for a <see cref="KernelConfigTarget"/>, on the
/// host or inside the root's chroot, and works out the make ARCH of a .config.
/// </summary>
internal static class KernelMake
{
    public static void Run(KernelConfigTarget t, string arch, string goal, OperationContext ctx, IProcessRunner runner)
    {
        ProcessSpec spec;
        if (t.ChrootRoot is not null)
        {
            spec = new ProcessSpec(ToolLocator.Require("chroot"), t.ChrootRoot, "/usr/bin/make", "-C", t.TreeInRoot!, $"ARCH={arch}", goal)
            {
                ClearEnvironment = true,
                Environment = new Dictionary<string, string?>
                {
                    ["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    ["HOME"] = "/root",
                    ["LC_ALL"] = "C",
                    ["TERM"] = "dumb",
                },
                OnStdout = ctx.Verbose,
                OnStderr = ctx.Verbose,
            };
        }
        else
        {
            var args = new List<string> { "-C", t.Tree };
            if (t.ObjDir is not null)
            {
                args.Add($"O={t.ObjDir}");
            }

            var name = Path.GetFileName(t.ConfigFile);
            if (name != ".config")
            {
                args.Add($"KCONFIG_CONFIG={name}");
            }

            args.Add($"ARCH={arch}");
            args.Add(goal);
            spec = new ProcessSpec("make", args)
            {
                Environment = new Dictionary<string, string?>
                {
                    ["MAKEFLAGS"] = null,
                    ["MFLAGS"] = null,
                    ["MAKELEVEL"] = null,
                    ["KCONFIG_CONFIG"] = null,
                    ["LC_ALL"] = "C",
                },
                OnStdout = ctx.Verbose,
                OnStderr = ctx.Verbose,
            };
        }

        runner.RunAsync(spec, ctx.Cancellation).GetAwaiter().GetResult()
            .EnsureSuccess(ErrorKind.ToolFailed, $"make {goal} in {t.Tree}");
    }

    public static string HostArch() => RuntimeInformation.OSArchitecture switch
    {
        Architecture.Arm64 => "arm64",
        Architecture.X86 => "i386",
        _ => "x86_64",
    };

    /// <summary>The arch directory (x86) and the make ARCH (x86_64) of a .config, from its header.</summary>
    public static (string SrcArch, string Arch) ArchOf(string configText)
    {
        var m = System.Text.RegularExpressions.Regex.Match(configText, @"^# Linux/(\S+) ", System.Text.RegularExpressions.RegexOptions.Multiline);
        var src = m.Success ? m.Groups[1].Value : null;
        var is64 = configText.Contains("\nCONFIG_64BIT=y", StringComparison.Ordinal);
        return src switch
        {
            null => HostArch() switch { "x86_64" or "i386" => ("x86", HostArch()), var a => (a, a) },
            "x86" or "x86_64" or "i386" => ("x86", is64 || src == "x86_64" ? "x86_64" : "i386"),
            _ => (src, src),
        };
    }
}
