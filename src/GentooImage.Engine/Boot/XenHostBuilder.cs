using System.Globalization;
using System.IO.Compression;
using System.Text.RegularExpressions;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Boot;

/// <summary>
/// Builds the Xen test host from Debian's packages on first use and caches it, keyed by
/// <see cref="XenHostRecipe.KeyOf"/>: mmdebstrap makes the dom0 root (in a private mount namespace,
/// so a killed build leaves no mount behind), GentooImage's init goes in, and the root becomes an
/// ext4 disk image next to the hypervisor, the dom0 kernel and its initramfs. A build happens in a
/// directory named for its owner and becomes the cache entry by one rename, so a cancelled or
/// killed build is never mistaken for a host (the next build removes it).
/// </summary>
public sealed class XenHostBuilder
{
    /// <summary>Where built hosts are kept unless the caller says otherwise.</summary>
    public const string DefaultCacheRoot = "/var/cache/gentooimage/xen-host";

    private const string BuildPrefix = "build-";
    private const string Activity = "Building the Xen test host";
    private static readonly Regex s_build = Leftovers.PatternFor(BuildPrefix);

    private readonly IProcessRunner _runner;

    public XenHostBuilder(IProcessRunner? runner = null) => _runner = runner ?? ProcessRunner.Instance;

    /// <summary>The cached host for the current package versions, built first when missing.</summary>
    public async Task<XenHost> EnsureAsync(string cacheRoot, OperationContext ctx)
    {
        CheckCacheRoot(cacheRoot);
        var candidates = await CandidatesAsync(ctx).ConfigureAwait(false);
        var key = XenHostRecipe.KeyOf(candidates);
        var host = new XenHost(Path.Combine(cacheRoot, key));
        if (host.IsComplete)
        {
            ctx.Verbose($"Xen test host: {host.Directory} (cached).");
            return host;
        }

        // A cached host boots as any user; building one needs root, checked before anything is written.
        Privilege.RequireRoot("Building the Xen test host", "mmdebstrap installs Debian packages with their owners and runs in mount and PID namespaces");
        Directory.CreateDirectory(cacheRoot);
        using var cacheLock = await LockAsync(Path.Combine(cacheRoot, key + ".lock"), ctx).ConfigureAwait(false);
        if (host.IsComplete)
        {
            return host;
        }

        Leftovers.Sweep(cacheRoot, s_build, ctx.Verbose);
        var missing = new[] { "mmdebstrap", "mkfs.ext4", "unshare" }.Where(t => ToolLocator.Find(t) is null).ToList();
        if (missing.Count > 0)
        {
            throw new GentooImageException(
                ErrorKind.ToolMissing,
                $"The Xen test host is built from Debian's packages with {string.Join(", ", missing)}, which {(missing.Count == 1 ? "is" : "are")} not installed. Install Debian's mmdebstrap, e2fsprogs and util-linux packages (./build.ps1 -Task Bootstrap does), then try again.",
                string.Join(' ', missing));
        }

        var work = Path.Combine(cacheRoot, OwnerTag.UniqueName(BuildPrefix));
        Directory.CreateDirectory(work);
        try
        {
            await BuildAsync(work, ctx).ConfigureAwait(false);
            if (Directory.Exists(host.Directory))
            {
                Leftovers.Remove(host.Directory); // an incomplete entry from an older layout
            }

            Directory.Move(work, host.Directory);
            ctx.Report(new ProgressReport(Activity, "Done", 100, Completed: true));
            ctx.Verbose($"Xen test host built: {host.Directory} (Xen {host.XenVersion}).");
            return host;
        }
        catch
        {
            RemoveQuietly(work, ctx);
            throw;
        }
    }

    /// <summary>The cache root must be a plain absolute path: QEMU's multiboot module list cannot quote spaces.</summary>
    public static void CheckCacheRoot(string cacheRoot)
    {
        if (!Path.IsPathFullyQualified(cacheRoot) || cacheRoot.Any(c => char.IsWhiteSpace(c) || c == ',' || char.IsControl(c)))
        {
            throw new GentooImageException(
                ErrorKind.InvalidArgument,
                $"The Xen host cache '{cacheRoot}' must be an absolute path without spaces or commas (QEMU's multiboot module list cannot quote them). Choose a path such as {DefaultCacheRoot}.",
                cacheRoot);
        }
    }

    private async Task<IReadOnlyDictionary<string, string>> CandidatesAsync(OperationContext ctx)
    {
        if (ToolLocator.Find("apt-cache") is not { } aptCache)
        {
            return new Dictionary<string, string>();
        }

        var r = await _runner.RunAsync(new ProcessSpec(aptCache, new[] { "policy" }.Concat(XenHostRecipe.Packages).ToArray()), ctx.Cancellation).ConfigureAwait(false);
        return r.Succeeded ? XenHostRecipe.ParseCandidates(r.StandardOutput) : new Dictionary<string, string>();
    }

    private async Task BuildAsync(string work, OperationContext ctx)
    {
        var root = Path.Combine(work, "root");
        ctx.Report(new ProgressReport(Activity, $"mmdebstrap {XenHostRecipe.Suite}: Xen 4.17, a dom0 kernel, pvgrub2 (a few minutes, once)", 5));
        ctx.Verbose($"Building the Xen test host in {work}.");

        // Private mount and PID namespaces: mmdebstrap mounts /proc, /sys and /dev inside the root
        // while it works; if this build is killed, unshare kills mmdebstrap (PID 1 of the namespace),
        // the kernel kills everything else in it (apt, dpkg, maintainer scripts), and the mounts go
        // with the namespace.
        var mm = new ProcessSpec("unshare", new[]
        {
            "--mount", "--propagation", "private", "--pid", "--fork", "--kill-child",
            "mmdebstrap", "--variant=essential", "--include=" + string.Join(',', XenHostRecipe.Packages),
            "--format=directory", XenHostRecipe.Suite, root,
        }.Concat(XenHostRecipe.Sources).ToArray())
        {
            CaptureOutput = true,
            OnStderr = line =>
            {
                if (line.StartsWith("I: ", StringComparison.Ordinal))
                {
                    ctx.Report(new ProgressReport(Activity, "mmdebstrap: " + line[3..], 30));
                    ctx.Verbose("mmdebstrap: " + line[3..]);
                }
            },
        };
        (await _runner.RunAsync(mm, ctx.Cancellation).ConfigureAwait(false)).EnsureSuccess(ErrorKind.ToolFailed, "mmdebstrap (building the Xen test host from Debian's packages; is deb.debian.org reachable?)");

        ctx.Report(new ProgressReport(Activity, "Installing the dom0 init", 70));
        var init = Path.Combine(root, XenHost.InitPath.TrimStart('/'));
        await File.WriteAllTextAsync(init, XenHostRecipe.InitScript(), ctx.Cancellation).ConfigureAwait(false);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(init, (UnixFileMode)Convert.ToInt32("755", 8));
        }

        var host = new XenHost(work);
        var versions = await _runner.RunAsync(
            new ProcessSpec("dpkg-query", new[] { "--admindir=" + Path.Combine(root, "var/lib/dpkg"), "-W", "-f", "${Package} ${Version}\\n" }.Concat(XenHostRecipe.Packages).ToArray()),
            ctx.Cancellation).ConfigureAwait(false);
        versions.EnsureSuccess(ErrorKind.ToolFailed, "dpkg-query (the Xen test host's package versions)");
        await File.WriteAllTextAsync(host.VersionsFile, versions.StandardOutput, ctx.Cancellation).ConfigureAwait(false);

        var boot = Path.Combine(root, "boot");
        File.Copy(Single(boot, "vmlinuz-*"), host.Dom0Kernel);
        File.Copy(Single(boot, "initrd.img-*"), host.Dom0Initrd);
        await using (var gz = new GZipStream(File.OpenRead(Single(boot, "xen-4.17-amd64.gz")), CompressionMode.Decompress))
        await using (var elf = File.Create(host.Hypervisor))
        {
            await gz.CopyToAsync(elf, ctx.Cancellation).ConfigureAwait(false);
        }

        ctx.Report(new ProgressReport(Activity, "Making the dom0 disk (mkfs.ext4 -d)", 85));
        var used = DirectoryBytes(new DirectoryInfo(root));
        var size = ((used * 5 / 4) + (256L << 20) + (1 << 20) - 1) >> 20;
        using (var disk = File.Create(host.Dom0Disk))
        {
            disk.SetLength(size << 20);
        }

        (await _runner.RunAsync(
            new ProcessSpec("mkfs.ext4", "-q", "-F", "-L", "gi-dom0", "-d", root, host.Dom0Disk),
            ctx.Cancellation).ConfigureAwait(false)).EnsureSuccess(ErrorKind.ToolFailed, "mkfs.ext4 (the Xen test host's dom0 disk)");
        ctx.Verbose($"dom0 disk: {size.ToString(CultureInfo.InvariantCulture)} MiB for {used >> 20} MiB of files.");
        Leftovers.Remove(root);
    }

    private static string Single(string dir, string pattern)
    {
        var found = Directory.GetFiles(dir, pattern);
        return found.Length == 1
            ? found[0]
            : throw new GentooImageException(ErrorKind.ToolFailed, $"The Xen test host's /boot has {found.Length} files matching {pattern}; expected one.", dir);
    }

    private static long DirectoryBytes(DirectoryInfo dir)
    {
        long total = 0;
        foreach (var f in dir.EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true }))
        {
            total += f is FileInfo file && file.LinkTarget is null ? file.Length : 4096;
        }

        return total;
    }

    private static async Task<FileStream> LockAsync(string path, OperationContext ctx)
    {
        try
        {
            return await ExclusiveFile.WaitAsync(path, Timeout.InfiniteTimeSpan, TimeSpan.FromSeconds(1),
                () => ctx.Report(new ProgressReport(Activity, "Waiting for another process that is building the same host", 5)),
                ctx.Cancellation).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw OperationContext.Cancelled("waiting for the Xen test host build of another process");
        }
    }

    private static void RemoveQuietly(string path, OperationContext ctx)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Leftovers.Remove(path);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or GentooImageException)
        {
            ctx.Warning($"Could not remove the unfinished Xen host build '{path}': {ex.Message}. The next build removes it.");
        }
    }
}
