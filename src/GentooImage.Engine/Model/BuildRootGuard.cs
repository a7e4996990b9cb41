using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Model;

/// <summary>
/// The one way into a build root. Every cmdlet that takes a root goes through <see cref="Open"/>
/// once, at the start, before anything is written: the path is canonicalised and checked against
/// <see cref="HostPathPolicy"/> (never the host's system directories, never a parent of another
/// root), must show evidence of being a build root (unless it is being created), must not be
/// marked Incomplete by a New-Stage3Root run that never finished (for changes), and the root's
/// lock is taken for changes. Engine entry points call <see cref="Demand(BuildRoot)"/> so that a caller that
/// bypasses the cmdlets still cannot hand them the host's <c>/</c>.
/// </summary>
public static class BuildRootGuard
{
    /// <summary>The files that show a stage3 layout: a release file and an init.</summary>
    private static readonly string[] s_releaseFiles = { "/etc/gentoo-release", "/etc/os-release", "/usr/lib/os-release" };
    private static readonly string[] s_initFiles = { "/sbin/init", "/lib/systemd/systemd", "/usr/lib/systemd/systemd" };

    /// <summary>
    /// Every build root has one of these (the state file or a release file): what the host path
    /// policy looks for, lstat only, before it asks <see cref="IsBuildRoot"/> of a directory.
    /// </summary>
    internal static IReadOnlyList<string> EvidenceFiles { get; } = s_releaseFiles.Append(BuildRootStore.StateFileInRoot).ToArray();

    /// <summary>
    /// Checks <paramref name="path"/> for <paramref name="access"/> and returns the lease (dispose it
    /// at the end of the operation). <paramref name="piped"/> is the object the user piped in, used
    /// when the root keeps no state file.
    /// </summary>
    public static BuildRootLease Open(string path, BuildRootAccess access, string operation, string parameterName = "Path", BuildRoot? piped = null, CancellationToken cancellation = default, bool takeLock = true)
    {
        var canonical = HostPathPolicy.CheckBuildRoot(path, parameterName, IsBuildRoot, EvidenceFiles);
        if (access != BuildRootAccess.Create)
        {
            RequireBuildRoot(canonical, path, parameterName);
        }

        var held = access == BuildRootAccess.Read || !takeLock ? null : RootLock.Acquire(canonical, operation, TimeSpan.Zero, cancellation);
        try
        {
            BuildRoot? root = null;
            if (access != BuildRootAccess.Create)
            {
                // Loaded under the lock, so a change another session saved a moment ago is not lost.
                root = File.Exists(BuildRootStore.StatePathFor(canonical)) || piped is null || piped.Path != canonical
                    ? BuildRootStore.Load(canonical)
                    : piped;

                // A root whose extraction never finished is only good for New-Stage3Root -Force.
                if (access == BuildRootAccess.Change)
                {
                    BuildRootStore.ThrowIfIncomplete(root);
                }
            }

            return new BuildRootLease(canonical, root, held);
        }
        catch
        {
            held?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// For engine entry points: refuses a root that does not exist (<see cref="NotFound"/>) or whose
    /// path the policy refuses (without the slower checks <see cref="Open"/> makes). The path is
    /// canonicalised as <see cref="Open"/> does it (<c>HostPathPolicy.Canonical</c>: absolute, no
    /// control characters, symlinks resolved). Returns the
    /// canonical path: engine code uses it (e.g. for <see cref="PathInRoot.Resolve"/>) instead of
    /// canonicalising the root again.
    /// </summary>
    public static string Demand(BuildRoot root) => Demand(root.Path);

    /// <inheritdoc cref="Demand(BuildRoot)"/>
    public static string Demand(string rootPath, string parameterName = "Path")
    {
        if (rootPath.Length == 0 || !Directory.Exists(rootPath))
        {
            throw NotFound(rootPath, parameterName);
        }

        var canonical = HostPathPolicy.Canonical(rootPath, parameterName, ErrorKind.UnsafeRootPath);
        if (HostPathPolicy.WhyUnsafe(canonical, HostPathUse.BuildRoot, MountTable.Read()) is { } why)
        {
            throw new GentooImageException(
                ErrorKind.UnsafeRootPath,
                $"'{rootPath}' cannot be a build root: {why}. Nothing was changed. Use a dedicated directory such as /mnt/gentoo.",
                rootPath);
        }

        return canonical;
    }

    /// <summary>
    /// Whether the directory holds GentooImage's state file (looked up as a process chrooted into it
    /// would, a regular file, not a symlink): made by New-Stage3Root, finished or not.
    /// </summary>
    public static bool HasState(string canonical)
    {
        try
        {
            var state = PathInRoot.Resolve(canonical, BuildRootStore.StateFileInRoot, followLast: false, loopKind: ErrorKind.NotABuildRoot);
            return FileIdentity.TypeOf(state, follow: false) == LibC.S_IFREG;
        }
        catch (GentooImageException)
        {
            return false; // symlink loops: not evidence of anything
        }
    }

    /// <summary>
    /// Evidence that a directory is a build root: the module's state file, or a stage3 layout
    /// (a release file such as etc/gentoo-release or etc/os-release, and an init such as sbin/init
    /// or lib/systemd/systemd), each looked up as a process chrooted into it would.
    /// </summary>
    public static bool IsBuildRoot(string canonical)
    {
        if (HasState(canonical))
        {
            return true;
        }

        try
        {
            return s_releaseFiles.Any(f => File.Exists(PathInRoot.Resolve(canonical, f, loopKind: ErrorKind.NotABuildRoot)))
                && s_initFiles.Any(f => File.Exists(PathInRoot.Resolve(canonical, f, loopKind: ErrorKind.NotABuildRoot)));
        }
        catch (GentooImageException)
        {
            return false; // symlink loops: not evidence of anything
        }
    }

    /// <summary>The one error for a root directory that does not exist.</summary>
    public static GentooImageException NotFound(string given, string parameterName = "Path") => new(
        ErrorKind.BuildRootNotFound,
        $"The build root '{given}' does not exist. Create it with New-Stage3Root, or pass the path of an existing root directory with -{parameterName}.",
        given);

    private static void RequireBuildRoot(string canonical, string given, string parameterName)
    {
        if (!Directory.Exists(canonical))
        {
            throw NotFound(given, parameterName);
        }

        if (!IsBuildRoot(canonical))
        {
            throw new GentooImageException(
                ErrorKind.NotABuildRoot,
                $"'{canonical}' is not a build root: it has neither GentooImage's state ({BuildRootStore.StateFileInRoot}) nor a stage3 layout " +
                "(etc/gentoo-release or etc/os-release, and sbin/init or lib/systemd/systemd). Nothing was changed. " +
                "Create a root with New-Stage3Root, or check the path.",
                canonical);
        }
    }
}
