using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Kernel;

/// <summary>
/// Set-KernelConfig's engine: merges presets, fragments and settings (in that order, later wins)
/// into a kernel .config (atomically, keeping .config.old), lets kconfig resolve it with
/// <c>make olddefconfig</c>, then checks every requested symbol against the final file and the
/// tree's own Kconfig files. Or writes a dist-kernel fragment whose values stay pending.
/// The steps live beside it: <see cref="RequestedEntries"/>, <see cref="KernelSourceTree"/>,
/// <see cref="VerifiedConfigMerge"/> (with <see cref="KernelMake"/> and <see cref="KernelConfigClassifier"/>),
/// <see cref="UnverifiedConfigMerge"/> and <see cref="DistKernelFragmentWriter"/>.
/// </summary>
public static class KernelConfigurator
{
    public const string StepName = "Set-KernelConfig";

    /// <summary>Applies the request to a build root (its kernel tree, or its dist-kernel fragment directory) and records the step.</summary>
    public static BuildRoot Apply(BuildRoot root, KernelConfigRequest request, OperationContext ctx, IProcessRunner? runner = null)
    {
        runner ??= ProcessRunner.Instance;
        var rootPath = BuildRootGuard.Demand(root);
        var history = StepRecorder.Start(root, StepName, ctx);
        KernelConfigReport? report = null;
        try
        {
            var entries = RequestedEntries.Effective(RequestedEntries.Collect(request));
            if (request.DistKernel)
            {
                report = DistKernelFragmentWriter.Write(rootPath, entries, request, ctx);
            }
            else
            {
                var tree = KernelSourceTree.Find(rootPath, request.KernelSource);
                var useChroot = KernelSourceTree.HasToolchain(rootPath) && root.IsMounted;
                ctx.Verbose(useChroot
                    ? $"The root has a toolchain and is mounted: kconfig runs inside the chroot."
                    : $"kconfig runs on the host against {tree} (the root has no mounted toolchain).");
                var target = new KernelConfigTarget(
                    tree,
                    KernelSourceTree.ResolveInRoot(rootPath, "/" + Path.GetRelativePath(rootPath, tree) + "/.config"),
                    null,
                    useChroot ? rootPath : null,
                    useChroot ? "/" + Path.GetRelativePath(rootPath, tree) : null);
                report = VerifiedConfigMerge.Apply(target, entries, ctx, runner);
            }

            root.KernelConfig = report;
            var unmet = StrictFailure(report, request);
            // The configuration was written either way; a -Strict miss is recorded as Failed and saved like a success.
            history.Finish(
                unmet is null ? StepOutcome.Succeeded : StepOutcome.Failed,
                report.ToString(),
                new Dictionary<string, string>
                {
                    ["ConfigPath"] = report.ConfigPath,
                    ["Requested"] = report.Rows.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["Holding"] = report.Holding.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["KernelVersion"] = report.KernelVersion ?? string.Empty,
                },
                guardSave: false);
            if (unmet is not null)
            {
                throw unmet;
            }

            return root;
        }
        catch (Exception ex) when (report is null)
        {
            history.Failed(ex, ex.Message);
            throw;
        }
    }

    /// <summary>
    /// Applies the request to a .config file on the host. With request.KernelSource (a
    /// tree on the host) kconfig resolves and verifies it (the tree's own .config in the tree; a file
    /// in the tree's object directory with <c>make O=</c> that directory; any other file in a private
    /// object directory, see <see cref="ApplyOutOfTree"/>); without, the rows are NotVerified.
    /// </summary>
    public static KernelConfigReport ApplyToFile(string configPath, KernelConfigRequest request, OperationContext ctx, IProcessRunner? runner = null)
    {
        runner ??= ProcessRunner.Instance;
        var entries = RequestedEntries.Effective(RequestedEntries.Collect(request));
        configPath = HostPathPolicy.CheckKernelConfigFile(Path.GetFullPath(configPath), "ConfigPath");
        KernelConfigReport report;
        if (request.KernelSource is { Length: > 0 } ks)
        {
            var tree = Path.GetFullPath(ks);
            KernelSourceTree.Require(tree, ks);
            var dir = Path.GetDirectoryName(configPath)!;
            // By identity: -ConfigPath arrives canonical, -KernelSource as typed (often /usr/src/linux, a link).
            var inTree = FileIdentity.Of(dir) is { } d && d == FileIdentity.Of(tree);
            report = inTree || IsObjectDirectoryOf(dir, tree)
                ? VerifiedConfigMerge.Apply(new KernelConfigTarget(tree, configPath, inTree ? null : dir, null, null), entries, ctx, runner)
                : ApplyOutOfTree(tree, configPath, entries, ctx, runner);
        }
        else
        {
            report = UnverifiedConfigMerge.Apply(configPath, entries, ctx);
        }

        if (StrictFailure(report, request) is { } unmet)
        {
            throw unmet;
        }

        return report;
    }

    /// <summary>
    /// Whether <paramref name="dir"/> is already a kbuild object directory of <paramref name="tree"/>
    /// (<c>make O=dir</c> made its <c>source</c> link to the tree): kconfig may work there.
    /// </summary>
    internal static bool IsObjectDirectoryOf(string dir, string tree)
    {
        var source = Path.Combine(dir, "source");
        return FileIdentity.TypeOf(source, follow: false) == LibC.S_IFLNK
            && FileIdentity.Of(source) is { } s && s == FileIdentity.Of(tree);
    }

    /// <summary>
    /// A .config outside the tree, in a directory that is not already the tree's object directory:
    /// kbuild's object directory (<c>make O=</c>) gets a Makefile, a <c>source</c> link,
    /// <c>include/</c>, <c>scripts/</c> and <c>arch/</c>, so it is a private hidden directory beside
    /// the file (mode 0700, named for its owner; beside it rather than in /tmp, which is often noexec,
    /// while kbuild runs the tools it compiles there), never the file's own directory, where it would
    /// overwrite a Makefile of the user's. The result and the previous file (<c>.old</c>) are then
    /// written beside the file, each by rename; the private directory goes in every case (a killed
    /// run's is removed by the next).
    /// </summary>
    private static KernelConfigReport ApplyOutOfTree(string tree, string configPath, IReadOnlyList<KernelConfigEntry> entries, OperationContext ctx, IProcessRunner runner)
    {
        var dir = Path.GetDirectoryName(configPath)!;
        Directory.CreateDirectory(dir);
        Leftovers.Sweep(dir, s_objDir, ctx.Verbose);
        var obj = Path.Combine(dir, OwnerTag.UniqueName(ObjDirPrefix));
        if (!OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(obj, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        try
        {
            var work = Path.Combine(obj, ".config");
            if (File.Exists(configPath))
            {
                File.Copy(configPath, work);
            }

            var report = VerifiedConfigMerge.Apply(new KernelConfigTarget(tree, work, obj, null, null), entries, ctx, runner);
            AtomicFile.WriteText(configPath + ".old", File.ReadAllText(work + ".old"));
            AtomicFile.WriteText(configPath, File.ReadAllText(work));
            return report with { ConfigPath = configPath };
        }
        finally
        {
            Leftovers.Remove(obj);
        }
    }

    /// <summary>The private kbuild object directories of <see cref="ApplyOutOfTree"/>, beside the .config.</summary>
    internal const string ObjDirPrefix = ".gi-kconfig-";

    private static readonly System.Text.RegularExpressions.Regex s_objDir = Leftovers.PatternFor(ObjDirPrefix);

    private static GentooImageException? StrictFailure(KernelConfigReport report, KernelConfigRequest request)
    {
        if (!request.Strict)
        {
            return null;
        }

        var bad = report.Rows.Where(r => r.Status != KernelConfigStatus.NotVerified && !r.Holds).ToList();
        if (bad.Count == 0)
        {
            return null;
        }

        return new GentooImageException(
            ErrorKind.KernelConfigUnmet,
            $"{bad.Count} requested kernel option(s) do not hold in {report.ConfigPath}:\n"
            + string.Join('\n', bad.Select(r => $"  CONFIG_{r.Symbol}={r.Requested} ({r.Status}): {r.Reason}"))
            + "\nChange or drop these requests (the reasons say what they need), or run without -Strict to accept the result.",
            report.ConfigPath);
    }
}
