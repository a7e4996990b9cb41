using System.Diagnostics;
using System.Runtime.InteropServices;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Kernel;

/// <summary>
/// Set-KernelConfig's engine: merges presets, fragments and settings (in that order, later wins)
/// into a kernel .config (atomically, keeping .config.old), lets kconfig resolve it with
/// <c>make olddefconfig</c>, then checks every requested symbol against the final file and the
/// tree's own Kconfig files. Or writes a dist-kernel fragment whose values stay pending.
/// </summary>
public static class KernelConfigurator
{
    public const string StepName = "Set-KernelConfig";

    /// <summary>The only table: symbols that were renamed or removed upstream, and what replaced them.</summary>
    private static readonly Dictionary<string, string> s_renames = new(StringComparer.Ordinal)
    {
        ["XEN_SCRUB_PAGES"] = "it was renamed to XEN_SCRUB_PAGES_DEFAULT (Linux 4.19); request CONFIG_XEN_SCRUB_PAGES_DEFAULT=y",
        ["VIRTIO_BLK_SCSI"] = "it was removed (Linux 5.6, 'virtio-blk: remove VIRTIO_BLK_F_SCSI support') in favour of virtio-scsi, CONFIG_SCSI_VIRTIO",
    };

    /// <summary>The requested entries in merge order: presets, then fragment files, then settings.</summary>
    public static IReadOnlyList<KernelConfigEntry> CollectEntries(KernelConfigRequest request)
    {
        var entries = new List<KernelConfigEntry>();
        foreach (var preset in request.Presets)
        {
            var name = KernelConfigPreset.Canonical(preset);
            entries.AddRange(KernelConfigFragment.Parse(KernelConfigPreset.Text(name), $"Preset {name}")
                .Select(e => e with { Source = $"Preset {name}" }));
        }

        foreach (var path in request.FragmentPaths)
        {
            entries.AddRange(KernelConfigFragment.ParseFile(path));
        }

        var index = 0;
        foreach (var (key, value) in request.Settings)
        {
            entries.Add(KernelConfigFragment.ParseSetting(key, value, ++index));
        }

        if (entries.Count == 0)
        {
            throw new GentooImageException(
                ErrorKind.InvalidArgument,
                "Nothing to set: give -Preset, -FragmentPath or -Setting.",
                null);
        }

        return entries;
    }

    /// <summary>One entry per symbol, in first-request order, carrying the last requested value.</summary>
    public static IReadOnlyList<KernelConfigEntry> Effective(IReadOnlyList<KernelConfigEntry> entries)
    {
        var order = new List<string>();
        var last = new Dictionary<string, KernelConfigEntry>(StringComparer.Ordinal);
        foreach (var e in entries)
        {
            if (!last.ContainsKey(e.Symbol))
            {
                order.Add(e.Symbol);
            }

            last[e.Symbol] = e;
        }

        return order.Select(s => last[s]).ToList();
    }

    /// <summary>Applies the request to a build root (its kernel tree, or its dist-kernel fragment directory) and records the step.</summary>
    public static BuildRoot Apply(BuildRoot root, KernelConfigRequest request, OperationContext ctx, IProcessRunner? runner = null)
    {
        runner ??= ProcessRunner.Instance;
        BuildRootGuard.Demand(root);
        var history = StepRecorder.Start(root, StepName, ctx.Cancellation, ctx.Warning);
        KernelConfigReport? report = null;
        try
        {
            var entries = Effective(CollectEntries(request));
            if (request.DistKernel)
            {
                report = WriteDistKernelFragment(root, entries, request, ctx);
            }
            else
            {
                var tree = FindTree(root, request.KernelSource);
                var useChroot = HasToolchain(root) && root.IsMounted;
                ctx.Verbose(useChroot
                    ? $"The root has a toolchain and is mounted: kconfig runs inside the chroot."
                    : $"kconfig runs on the host against {tree} (the root has no mounted toolchain).");
                var target = new TreeTarget(
                    tree,
                    Path.Combine(tree, ".config"),
                    null,
                    useChroot ? root.Path : null,
                    useChroot ? "/" + Path.GetRelativePath(root.Path, tree) : null);
                report = ApplyToTree(target, entries, request, ctx, runner);
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
    /// tree on the host) kconfig resolves and verifies it (out of tree: <c>make O=&lt;the file's directory&gt;</c>
    /// unless the file is the tree's own .config); without, the rows are NotVerified.
    /// </summary>
    public static KernelConfigReport ApplyToFile(string configPath, KernelConfigRequest request, OperationContext ctx, IProcessRunner? runner = null)
    {
        runner ??= ProcessRunner.Instance;
        var entries = Effective(CollectEntries(request));
        configPath = HostPathPolicy.CheckKernelConfigFile(Path.GetFullPath(configPath), "ConfigPath");
        KernelConfigReport report;
        if (request.KernelSource is { Length: > 0 } ks)
        {
            var tree = Path.GetFullPath(ks);
            RequireTree(tree, ks);
            var dir = Path.GetDirectoryName(configPath)!;
            Directory.CreateDirectory(dir);
            var inTree = string.Equals(Path.TrimEndingDirectorySeparator(dir), Path.TrimEndingDirectorySeparator(tree), StringComparison.Ordinal);
            report = ApplyToTree(
                new TreeTarget(tree, configPath, inTree ? null : dir, null, null),
                entries, request, ctx, runner);
        }
        else
        {
            report = MergeUnverified(configPath, entries, ctx);
        }

        if (StrictFailure(report, request) is { } unmet)
        {
            throw unmet;
        }

        return report;
    }

    private sealed record TreeTarget(string Tree, string ConfigFile, string? ObjDir, string? ChrootRoot, string? TreeInRoot);

    private static KernelConfigReport MergeUnverified(string configPath, IReadOnlyList<KernelConfigEntry> entries, OperationContext ctx)
    {
        if (!File.Exists(configPath))
        {
            throw new GentooImageException(
                ErrorKind.InvalidArgument,
                $"The kernel config '{configPath}' does not exist. Pass an existing .config, or add -KernelSource <kernel tree> to create it with 'make defconfig'.",
                configPath);
        }

        var original = File.ReadAllText(configPath);
        var merged = KernelConfigFragment.Merge(original, entries);
        AtomicFile.WriteText(configPath, merged);
        AtomicFile.WriteText(configPath + ".old", original);
        ctx.Verbose($"Merged {entries.Count} values into {configPath} (previous file kept as {configPath}.old); no kernel tree given, so nothing is verified.");
        var before = KernelConfigFragment.ReadValues(original);
        var rows = entries.Select(e => new KernelConfigRow(
            e.Symbol, e.Value, e.Value, KernelConfigStatus.NotVerified,
            (before.TryGetValue(e.Symbol, out var o) && o == e.Value ? "already in the file" : "written")
            + "; not verified: no kernel tree to check it against (add -KernelSource to run make olddefconfig and verify)")
        { Source = e.Source }).ToList();
        return new KernelConfigReport { ConfigPath = configPath, Rows = rows };
    }

    private static KernelConfigReport WriteDistKernelFragment(BuildRoot root, IReadOnlyList<KernelConfigEntry> entries, KernelConfigRequest request, OperationContext ctx)
    {
        var name = request.FragmentName is { Length: > 0 } n ? n : KernelConfigRequest.DefaultFragmentName;
        if (name.Contains('/') || name is "." or ".." || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
        {
            throw new GentooImageException(
                ErrorKind.InvalidArgument,
                $"-FragmentName '{name}' must be a plain file name such as '90-gentooimage.config'.",
                name);
        }

        if (!name.EndsWith(".config", StringComparison.Ordinal))
        {
            name += ".config"; // kernel-build.eclass only merges /etc/kernel/config.d/*.config
        }

        var dir = ResolveInRoot(root, "/etc/kernel/config.d");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, name);
        var existing = File.Exists(path) ? File.ReadAllText(path) : "# Kernel config fragment written by GentooImage Set-KernelConfig.\n# Gentoo's dist-kernel build (kernel-build.eclass) merges /etc/kernel/config.d/*.config.\n";
        AtomicFile.WriteText(path, KernelConfigFragment.Merge(existing, entries));
        ctx.Verbose($"Wrote {entries.Count} values to {path}; they take effect when sys-kernel/gentoo-kernel is built.");
        var rows = entries.Select(e => new KernelConfigRow(
            e.Symbol, e.Value, null, KernelConfigStatus.NotVerified,
            "pending: Gentoo's dist-kernel build merges this fragment with merge_config.sh -m, which does not check it; verify the built kernel's .config")
        { Source = e.Source }).ToList();
        return new KernelConfigReport { ConfigPath = path, Rows = rows, Pending = true };
    }

    private static KernelConfigReport ApplyToTree(TreeTarget t, IReadOnlyList<KernelConfigEntry> entries, KernelConfigRequest request, OperationContext ctx, IProcessRunner runner)
    {
        ctx.ThrowIfCancelled();
        var activity = "Set-KernelConfig";
        if (!File.Exists(t.ConfigFile))
        {
            ctx.Verbose($"{t.ConfigFile} does not exist: creating it with 'make defconfig' first.");
            ctx.Report(new ProgressReport(activity, "make defconfig"));
            RunMake(t, HostArch(), "defconfig", ctx, runner);
        }

        var original = File.ReadAllText(t.ConfigFile);
        var (srcArch, arch) = ArchOf(original);
        var version = KernelVersion(t.Tree);

        // Read the Kconfig files while kconfig runs.
        var kconfigTask = Task.Run(() => KconfigTree.Load(t.Tree, srcArch, ctx.Cancellation), ctx.Cancellation);
        var merged = KernelConfigFragment.Merge(original, entries);
        var verified = t.ChrootRoot is null ? "make olddefconfig on the host" : "make olddefconfig in the chroot";
        try
        {
            if (!string.Equals(merged, original, StringComparison.Ordinal))
            {
                AtomicFile.WriteText(t.ConfigFile, merged);
            }

            ctx.Report(new ProgressReport(activity, "make olddefconfig"));
            RunMake(t, arch, "olddefconfig", ctx, runner);
        }
        catch
        {
            // Leave the tree as it was.
            AtomicFile.WriteText(t.ConfigFile, original);
            ObserveQuietly(kconfigTask);
            throw;
        }

        AtomicFile.WriteText(t.ConfigFile + ".old", original);
        ctx.Verbose($"Merged {entries.Count} values into {t.ConfigFile} and ran {verified} (previous file kept as {t.ConfigFile}.old).");
        var final = KernelConfigFragment.ReadValues(File.ReadAllText(t.ConfigFile));
        var before = KernelConfigFragment.ReadValues(original);
        KconfigTree kconfig;
        try
        {
            kconfig = kconfigTask.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException ex)
        {
            throw OperationContext.Cancelled("reading Kconfig", ex);
        }
        catch (FileNotFoundException ex)
        {
            throw new GentooImageException(ErrorKind.KernelSourceNotFound, $"{ex.Message} '{t.Tree}' is not a complete kernel tree.", t.Tree, ex);
        }

        ctx.Verbose($"Read {kconfig.FileCount} Kconfig files ({kconfig.Symbols.Count} symbols) of Linux {version}.");
        var requested = entries.ToDictionary(e => e.Symbol, e => e.Value, StringComparer.Ordinal);
        var rows = new List<KernelConfigRow>();
        foreach (var e in entries)
        {
            var row = Classify(e, before, final, kconfig, requested, version) with { Source = e.Source };
            rows.Add(row);
            if (!row.Holds)
            {
                ctx.Warning($"CONFIG_{row.Symbol}={row.Requested} does not hold ({row.Status}): {row.Reason}");
            }
        }

        return new KernelConfigReport
        {
            ConfigPath = t.ConfigFile,
            KernelSource = t.Tree,
            KernelVersion = version,
            VerifiedWith = verified,
            Rows = rows,
        };
    }

    internal static KernelConfigRow Classify(
        KernelConfigEntry e,
        IReadOnlyDictionary<string, string> before,
        IReadOnlyDictionary<string, string> final,
        KconfigTree kconfig,
        IReadOnlyDictionary<string, string> requested,
        string? version)
    {
        string? ValueOf(string s) => final.TryGetValue(s, out var v) ? v : null;
        var actual = ValueOf(e.Symbol);
        var actualN = actual ?? "n";
        var holds = string.Equals(actualN, e.Value, StringComparison.Ordinal);
        var sym = kconfig.Find(e.Symbol);
        if (sym is null || sym.Definitions.Count == 0)
        {
            var reason = $"CONFIG_{e.Symbol} is not in the Kconfig files of {(version is null ? "this kernel" : "Linux " + version)}";
            reason += s_renames.TryGetValue(e.Symbol, out var hint) ? ": " + hint : "; check the name (kconfig drops unknown symbols)";
            return new KernelConfigRow(e.Symbol, e.Value, actual, KernelConfigStatus.Unknown, reason);
        }

        var unmet = Unmet(sym, e.Value, ValueOf, requested);
        if (!sym.HasPrompt)
        {
            var selecters = ActiveSelecters(sym, ValueOf);
            var from = selecters.Count > 0 ? $"selected by {string.Join(", ", selecters)}" : "set from its default";
            var reason = $"CONFIG_{e.Symbol} has no prompt ({sym.Definitions[0].Location}): the user cannot set it, kconfig computes it ({from}); "
                + (holds ? "the requested value holds" : $"the requested value does not hold (it is {actualN})"
                    + (unmet.Count > 0 ? $"; it needs {string.Join(", ", unmet)}" : string.Empty));
            return new KernelConfigRow(e.Symbol, e.Value, actual, KernelConfigStatus.NotSettable, reason);
        }

        if (holds)
        {
            var was = before.TryGetValue(e.Symbol, out var o) ? o : "n";
            return string.Equals(was, e.Value, StringComparison.Ordinal)
                ? new KernelConfigRow(e.Symbol, e.Value, actual, KernelConfigStatus.AlreadySet, "already set before this change")
                : new KernelConfigRow(e.Symbol, e.Value, actual, KernelConfigStatus.Applied, $"changed from {was}");
        }

        if (unmet.Count > 0)
        {
            return new KernelConfigRow(e.Symbol, e.Value, actual, KernelConfigStatus.DependencyUnmet,
                $"CONFIG_{e.Symbol} needs {string.Join(", ", unmet)}; kconfig set it to {actualN}");
        }

        var active = ActiveSelecters(sym, ValueOf);
        string why;
        if (active.Count > 0 && KconfigExpression.Tristate(actualN) > KconfigExpression.Tristate(e.Value))
        {
            why = $"selected by {string.Join(", ", active)}, which forces it to {actualN}";
        }
        else if (e.Value == "m" && sym.Type == "bool")
        {
            why = $"CONFIG_{e.Symbol} is a bool: it cannot be a module (m); request y or n";
        }
        else if (e.Value == "m" && ValueOf("MODULES") != "y")
        {
            return new KernelConfigRow(e.Symbol, e.Value, actual, KernelConfigStatus.DependencyUnmet,
                $"CONFIG_{e.Symbol}=m needs MODULES (is {ValueOf("MODULES") ?? "n"})");
        }
        else if (sym.Definitions.Any(d => d.InChoice))
        {
            why = $"CONFIG_{e.Symbol} is a choice member and another member of its choice was chosen";
        }
        else
        {
            why = $"kconfig set it to {actualN}";
        }

        return new KernelConfigRow(e.Symbol, e.Value, actual, KernelConfigStatus.Overridden, why);
    }

    /// <summary>The failing dependency conjuncts of the best definition (none when one definition is satisfied).</summary>
    private static List<string> Unmet(KconfigSymbol sym, string value, Func<string, string?> valueOf, IReadOnlyDictionary<string, string> requested)
    {
        var need = value switch { "n" => 0, "m" => 1, "y" => sym.Type == "bool" ? 1 : 2, _ => 1 };
        if (need == 0)
        {
            return new List<string>();
        }

        List<string>? best = null;
        foreach (var d in sym.Definitions.Where(d => d.Prompt is not null || !sym.HasPrompt))
        {
            var conds = d.DependsOn.AsEnumerable();
            if (d.PromptIf is not null)
            {
                conds = conds.Append(d.PromptIf);
            }

            var failing = conds.SelectMany(c => c.Conjuncts())
                .Where(c => c.Evaluate(valueOf) < need)
                .Select(c => Describe(c, valueOf, requested))
                .Distinct()
                .ToList();
            if (best is null || failing.Count < best.Count)
            {
                best = failing;
            }
        }

        return best ?? new List<string>();
    }

    private static string Describe(KconfigExpression c, Func<string, string?> valueOf, IReadOnlyDictionary<string, string> requested)
    {
        string Note(string s) => requested.TryGetValue(s, out var r) ? $", which this request sets to {r}" : string.Empty;
        return c switch
        {
            KconfigExpression.Symbol s => $"{s.Name} (is {valueOf(s.Name) ?? "n"}{Note(s.Name)})",
            KconfigExpression.Not { Operand: KconfigExpression.Symbol s } => $"{s.Name} to be off (is {valueOf(s.Name) ?? "n"}{Note(s.Name)})",
            _ => $"'{c.Text}' (is {(c.Evaluate(valueOf) switch { 2 => "y", 1 => "m", _ => "n" })})",
        };
    }

    private static List<string> ActiveSelecters(KconfigSymbol sym, Func<string, string?> valueOf) =>
        sym.Selects
            .Where(s => KconfigExpression.Tristate(valueOf(s.By)) > 0 && (s.If is null || s.If.Evaluate(valueOf) > 0))
            .Select(s => s.By)
            .Distinct()
            .ToList();

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

    private static void RunMake(TreeTarget t, string arch, string goal, OperationContext ctx, IProcessRunner runner)
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

    private static string FindTree(BuildRoot root, string? kernelSource)
    {
        string host;
        if (kernelSource is { Length: > 0 })
        {
            host = ResolveInRoot(root, kernelSource);
            if (!IsTree(host))
            {
                throw new GentooImageException(
                    ErrorKind.KernelSourceNotFound,
                    $"-KernelSource '{kernelSource}' is not a kernel tree inside the root ({host} has no Kconfig and Makefile). Give a path inside the root such as /usr/src/linux-6.1.0-gentoo.",
                    host);
            }

            return host;
        }

        var linux = root.HostPath("/usr/src/linux");
        if (Directory.Exists(linux) || File.Exists(linux))
        {
            host = ResolveInRoot(root, "/usr/src/linux");
            if (IsTree(host))
            {
                return host;
            }
        }

        var src = root.HostPath("/usr/src");
        var newest = Directory.Exists(src)
            ? Directory.EnumerateDirectories(src, "linux-*").Where(IsTree)
                .OrderByDescending(d => VersionKey(Path.GetFileName(d)), StringComparer.Ordinal)
                .FirstOrDefault()
            : null;
        return newest ?? throw new GentooImageException(
            ErrorKind.KernelSourceNotFound,
            $"No kernel tree in {src} (neither /usr/src/linux nor /usr/src/linux-*). Emerge sys-kernel/gentoo-sources in the chroot, pass -KernelSource, or use -DistKernel for a distribution kernel.",
            src);
    }

    /// <summary>A host path for a path inside the root, following symlinks as the chroot would see them.</summary>
    private static string ResolveInRoot(BuildRoot root, string pathInRoot) =>
        PathInRoot.Resolve(root.Path, pathInRoot, loopKind: ErrorKind.KernelSourceNotFound);

    private static string VersionKey(string name) =>
        System.Text.RegularExpressions.Regex.Replace(name, @"\d+", m => m.Value.PadLeft(8, '0'));

    private static bool IsTree(string dir) =>
        File.Exists(Path.Combine(dir, "Kconfig")) && File.Exists(Path.Combine(dir, "Makefile"));

    private static void RequireTree(string tree, string given)
    {
        if (!IsTree(tree))
        {
            throw new GentooImageException(
                ErrorKind.KernelSourceNotFound,
                $"-KernelSource '{given}' is not a kernel tree ({tree} has no Kconfig and Makefile). Point it at an unpacked Linux source directory.",
                tree);
        }
    }

    private static bool HasToolchain(BuildRoot root) =>
        File.Exists(root.HostPath("/usr/bin/make"))
        && (File.Exists(root.HostPath("/usr/bin/gcc")) || File.Exists(root.HostPath("/usr/bin/cc")));

    private static string HostArch() => RuntimeInformation.OSArchitecture switch
    {
        Architecture.Arm64 => "arm64",
        Architecture.X86 => "i386",
        _ => "x86_64",
    };

    /// <summary>The arch directory (x86) and the make ARCH (x86_64) of a .config, from its header.</summary>
    internal static (string SrcArch, string Arch) ArchOf(string configText)
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

    internal static string? KernelVersion(string tree)
    {
        var makefile = Path.Combine(tree, "Makefile");
        if (!File.Exists(makefile))
        {
            return null;
        }

        var vars = new Dictionary<string, string>();
        foreach (var line in File.ReadLines(makefile).Take(20))
        {
            var m = System.Text.RegularExpressions.Regex.Match(line, @"^(VERSION|PATCHLEVEL|SUBLEVEL|EXTRAVERSION)\s*=\s*(.*)$");
            if (m.Success)
            {
                vars[m.Groups[1].Value] = m.Groups[2].Value.Trim();
            }
        }

        return vars.TryGetValue("VERSION", out var v)
            ? $"{v}.{vars.GetValueOrDefault("PATCHLEVEL", "0")}.{vars.GetValueOrDefault("SUBLEVEL", "0")}{vars.GetValueOrDefault("EXTRAVERSION", string.Empty)}"
            : null;
    }

    private static void ObserveQuietly(Task task) =>
        task.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
}
