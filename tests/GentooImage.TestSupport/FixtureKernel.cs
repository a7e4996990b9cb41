using System.Diagnostics;
using System.Security.Cryptography;
using GentooImage.Engine.Platform;

namespace GentooImage.TestSupport;

/// <summary>
/// Builds a bzImage from Debian's linux-source-6.1 with a given .config, cached outside the
/// repository and keyed by the SHA-256 of that .config
/// (/var/cache/gentooimage-tests/kernel/&lt;key&gt;/bzImage). A missing cache entry is rebuilt
/// (about 12 minutes on 2 idle cores); a present one is reused. The build runs out of tree in the
/// pristine <see cref="KernelSourceCache"/> tree, so the tree is never written.
/// </summary>
public static class FixtureKernel
{
    public static string CacheRoot => Path.Combine(KernelSourceCache.CacheRoot, "kernel");

    /// <summary>The cache key of a .config: the first 16 hex digits of its SHA-256.</summary>
    public static string KeyOf(string configPath) =>
        Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(configPath)))[..16].ToLowerInvariant();

    /// <summary>Where the bzImage for this .config is (or will be) cached.</summary>
    public static string CachedImagePath(string configPath) => Path.Combine(CacheRoot, KeyOf(configPath), "bzImage");

    /// <summary>
    /// Objects the OpenStack test kernel compiles (x86_64 defconfig + the preset + <see cref="ProofSettings"/>,
    /// Linux 6.1: 2,156 measured; 2,860 before the desktop subsystems were left out), the estimate for
    /// a first build; later builds use the count the last one recorded.
    /// </summary>
    public const int EstimatedObjects = 2160;

    /// <summary>How long a build takes on 2 idle cores (the full defconfig's 2,860 objects took 13-16 min; this is a quarter fewer).</summary>
    public static readonly TimeSpan EstimatedTime = TimeSpan.FromMinutes(12);

    private static string ObjectsFile => Path.Combine(CacheRoot, "objects");

    /// <summary>Returns the cached bzImage for <paramref name="configPath"/>, building it first when missing.</summary>
    /// <param name="configPath">The .config to build.</param>
    /// <param name="log">Gets a line on a miss, at the end, and every minute of the build (so logs never go quiet).</param>
    /// <param name="progress">Gets the build's progress about once a second (objects compiled, elapsed time), on the calling thread.</param>
    public static string Build(string configPath, Action<string>? log = null, Action<ProgressReport>? progress = null)
    {
        var key = KeyOf(configPath);
        var entry = Path.Combine(CacheRoot, key);
        var image = Path.Combine(entry, "bzImage");
        if (File.Exists(image))
        {
            log?.Invoke($"kernel cache hit: {image}");
            return image;
        }

        Directory.CreateDirectory(CacheRoot);
        using var lockFile = FixtureCacheLock.Acquire(Path.Combine(CacheRoot, key + ".lock"));
        if (File.Exists(image))
        {
            return image;
        }

        var build = Path.Combine(CacheRoot, "build-" + key);
        if (Directory.Exists(build))
        {
            Directory.Delete(build, true);
        }

        Directory.CreateDirectory(build);
        File.Copy(configPath, Path.Combine(build, ".config"));
        var tree = KernelSourceCache.Tree;
        var jobs = (Environment.ProcessorCount + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        log?.Invoke($"kernel cache miss ({key}): building bzImage in {build} with -j{jobs}; this takes about 12 minutes on 2 idle cores");
        var watch = Stopwatch.StartNew();
        Make(tree, build, "olddefconfig");
        if (KeyOf(Path.Combine(build, ".config")) != key)
        {
            throw new InvalidOperationException($"{configPath} is not an olddefconfig-normalised .config for this tree (olddefconfig changed it).");
        }

        var expected = File.Exists(ObjectsFile) && int.TryParse(File.ReadAllText(ObjectsFile).Trim(), out var n) && n > 0 ? n : EstimatedObjects;
        var tracker = new KernelBuildProgress(expected, EstimatedTime * 2 / Environment.ProcessorCount, DateTime.UtcNow);
        var heartbeat = new ProgressHeartbeat(TimeSpan.FromMinutes(1), DateTime.UtcNow);
        var lastReport = DateTime.MinValue;
        MakeWithProgress(tree, build, line =>
        {
            if (!tracker.Observe(line))
            {
                return;
            }

            var now = DateTime.UtcNow;
            var report = tracker.Report(now);
            heartbeat.Observe(report, now);
            if (now - lastReport >= TimeSpan.FromSeconds(1))
            {
                lastReport = now;
                progress?.Invoke(report);
            }

            if (heartbeat.Due(now) is { } logLine)
            {
                log?.Invoke(logLine);
            }
        }, "-j" + jobs, "bzImage");
        progress?.Invoke(new ProgressReport(KernelBuildProgress.Activity, "Done", 100, Completed: true));
        File.WriteAllText(ObjectsFile, tracker.Objects.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n");
        Directory.CreateDirectory(entry);
        File.Copy(Path.Combine(build, ".config"), Path.Combine(entry, "config"), overwrite: true);
        File.Copy(Path.Combine(build, "arch/x86/boot/bzImage"), image + ".tmp", overwrite: true);
        File.Move(image + ".tmp", image);
        File.WriteAllText(Path.Combine(entry, "version"), File.ReadAllText(Path.Combine(build, "include/config/kernel.release")).Trim() + "\n");
        Directory.Delete(build, true);
        log?.Invoke($"kernel built in {watch.Elapsed.TotalMinutes:0.0} min ({tracker.Objects} objects): {image}");
        return image;
    }

    /// <summary>
    /// The settings the tests and the demo add to the OpenStack preset: /proc/config.gz, so the booted
    /// guest can show its running config, and XEN_PVH (which the seed leaves unset), so the same kernel
    /// boots as a Xen PVH guest as well as PV, HVM and KVM: one cached build serves every boot test.
    /// And, so that a cold test run (which builds this kernel beside everything else on 2 cores) stays
    /// within its budget, defconfig's desktop and LAN subsystems that no test guest has or uses are
    /// left out: GPUs (i915 alone is about a sixth of defconfig's objects), sound, wireless, USB,
    /// NFS and netfilter (2,156 objects instead of 2,860). None of them is in the seed's lists or the presets.
    /// </summary>
    public static readonly IReadOnlyList<KeyValuePair<string, string?>> ProofSettings = new[]
    {
        new KeyValuePair<string, string?>("IKCONFIG", "y"),
        new KeyValuePair<string, string?>("IKCONFIG_PROC", "y"),
        new KeyValuePair<string, string?>("XEN_PVH", "y"),
        new KeyValuePair<string, string?>("DRM", "n"),
        new KeyValuePair<string, string?>("AGP", "n"),
        new KeyValuePair<string, string?>("SOUND", "n"),
        new KeyValuePair<string, string?>("WIRELESS", "n"),
        new KeyValuePair<string, string?>("WLAN", "n"),
        new KeyValuePair<string, string?>("USB_SUPPORT", "n"),
        new KeyValuePair<string, string?>("NFS_FS", "n"),
        new KeyValuePair<string, string?>("NETFILTER", "n"),
    };

    /// <summary>
    /// The .config that Set-KernelConfig -Preset OpenStack (+ <see cref="ProofSettings"/>) makes from
    /// x86_64 defconfig, written into <paramref name="workDir"/>, and the cached bzImage built from it.
    /// </summary>
    public static FixtureKernelBuild ForOpenStack(string workDir, Action<string>? log = null, Action<ProgressReport>? progress = null)
    {
        var config = KernelSourceCache.NewDefconfigDir(workDir);
        var request = new GentooImage.Engine.Kernel.KernelConfigRequest
        {
            Presets = new[] { "OpenStack" },
            Settings = ProofSettings,
            KernelSource = KernelSourceCache.Tree,
        };
        GentooImage.Engine.Kernel.KernelConfigurator.ApplyToFile(config, request, GentooImage.Engine.Platform.OperationContext.None);
        var image = Build(config, log, progress);
        return new FixtureKernelBuild(config, image, ReleaseOf(image));
    }

    /// <summary>The kernel release string of a cached build (e.g. 6.1.158), next to its bzImage.</summary>
    public static string ReleaseOf(string bzImagePath) =>
        File.ReadAllText(Path.Combine(Path.GetDirectoryName(bzImagePath)!, "version")).Trim();

    private static void Make(string tree, string build, params string[] targets)
    {
        var psi = new ProcessStartInfo("make") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-s", "-C", tree, $"O={build}", "ARCH=x86_64" }.Concat(targets))
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment.Remove("MAKEFLAGS");
        psi.Environment.Remove("MAKELEVEL");
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"make {string.Join(' ', targets)} failed ({p.ExitCode}): {err.Result[^Math.Min(err.Result.Length, 4000)..]}");
        }
    }

    /// <summary>
    /// make without -s, so kbuild prints a line per step; each stdout line goes to
    /// <paramref name="onLine"/> on this thread as it arrives.
    /// </summary>
    private static void MakeWithProgress(string tree, string build, Action<string> onLine, params string[] targets)
    {
        var psi = new ProcessStartInfo("make") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-C", tree, $"O={build}", "ARCH=x86_64" }.Concat(targets))
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment.Remove("MAKEFLAGS");
        psi.Environment.Remove("MAKELEVEL");
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        try
        {
            while (p.StandardOutput.ReadLine() is { } line)
            {
                onLine(line);
            }
        }
        catch
        {
            // A failing progress sink (or Ctrl+C in the host) must not leave the build running.
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            throw;
        }

        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"make {string.Join(' ', targets)} failed ({p.ExitCode}): {err.Result[^Math.Min(err.Result.Length, 4000)..]}");
        }
    }
}
