using System.Text.Json;
using System.Text.Json.Serialization;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Model;

/// <summary>
/// Keeps a <see cref="BuildRoot"/>'s state in a small JSON file inside the root
/// (<c>/var/lib/gentooimage/state.json</c>), so a new session can pick the root up by path.
/// </summary>
public static class BuildRootStore
{
    /// <summary>Path of the state file inside a root.</summary>
    public const string StateFileInRoot = "/var/lib/gentooimage/state.json";

    private static readonly JsonSerializerOptions s_options = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string StatePathFor(string rootPath) =>
        Path.Join(rootPath, StateFileInRoot.TrimStart('/'));

    /// <summary>
    /// Loads the root at <paramref name="rootPath"/>, a canonical path (what <see cref="BuildRootGuard"/>
    /// returns; it is not resolved again). A directory without a state file gives a fresh BuildRoot
    /// (any directory can be a root); a missing directory is <see cref="ErrorKind.BuildRootNotFound"/>.
    /// </summary>
    public static BuildRoot Load(string rootPath)
    {
        if (!Directory.Exists(rootPath))
        {
            throw BuildRootGuard.NotFound(rootPath);
        }

        var state = Path.Combine(
            PathInRoot.Resolve(rootPath, Path.GetDirectoryName(StateFileInRoot)!, loopKind: ErrorKind.BuildRootStateInvalid),
            Path.GetFileName(StateFileInRoot));
        if (!File.Exists(state))
        {
            return new BuildRoot(rootPath);
        }

        BuildRoot? loaded;
        try
        {
            // Never through a symlink: a root (or a script run in it) could point state.json at
            // any host file, whose content would then reach a message.
            using var stream = FileIdentity.OpenNoFollow(state) ?? throw new GentooImageException(
                ErrorKind.BuildRootStateInvalid,
                $"The state file '{state}' is not a regular file (a symbolic link or something else). Remove it to treat '{rootPath}' as a plain root directory.",
                state);
            loaded = JsonSerializer.Deserialize<BuildRoot>(stream, s_options);
        }
        catch (JsonException ex)
        {
            throw new GentooImageException(
                ErrorKind.BuildRootStateInvalid,
                $"The state file '{state}' is not valid ({ex.Message}). Remove it to treat '{rootPath}' as a plain root directory.",
                state,
                ex);
        }

        if (loaded is null)
        {
            return new BuildRoot(rootPath);
        }

        // The root may have been moved or reached through another path: trust where it is now.
        return string.Equals(loaded.Path, rootPath, StringComparison.Ordinal) ? loaded : Rebase(loaded, rootPath);
    }

    /// <summary>
    /// Writes the state file atomically (<see cref="AtomicFile"/>: temp file, fsync, rename), after
    /// removing temporary state files that killed saves left. <c>root.Path</c> is canonical (a
    /// BuildRoot is made from the guard's path), so it is not resolved again.
    /// </summary>
    public static void Save(BuildRoot root)
    {
        // Resolved inside the root, so a symlink the root (or a script run in it) planted under
        // /var/lib cannot redirect the write to a host file; AtomicFile never writes through a
        // symlink at the target either.
        var dir = PathInRoot.Resolve(root.Path, Path.GetDirectoryName(StateFileInRoot)!, loopKind: ErrorKind.BuildRootStateInvalid);
        Directory.CreateDirectory(dir);
        var state = Path.Combine(dir, Path.GetFileName(StateFileInRoot));

        // A save killed between its temporary file and the rename leaves that file here: the next save removes it.
        AtomicFile.SweepBeside(state, verbose: null);
        AtomicFile.Write(state, s => JsonSerializer.Serialize(s, root, s_options));
    }

    /// <summary>
    /// Refuses a root whose extraction did not finish (<see cref="ErrorKind.BuildRootIncomplete"/>);
    /// every cmdlet but New-Stage3Root calls this before it uses a root.
    /// </summary>
    public static void ThrowIfIncomplete(BuildRoot root)
    {
        if (root.State == BuildRootState.Incomplete)
        {
            throw new GentooImageException(
                ErrorKind.BuildRootIncomplete,
                $"The build root '{root.Path}' is incomplete: a New-Stage3Root run into it did not finish (it was killed or the machine stopped), so its tree is partial. " +
                $"Run 'New-Stage3Root -Path {root.Path} -Force' to replace it with a whole stage3.",
                root.Path);
        }
    }

    public static string Serialize(BuildRoot root) => JsonSerializer.Serialize(root, s_options);

    private static BuildRoot Rebase(BuildRoot old, string path) =>
        new(path)
        {
            State = old.State,
            Stage3 = old.Stage3,
            Mounts = old.Mounts,
            IsMounted = old.IsMounted,
            KernelConfig = old.KernelConfig,
            History = old.History,
            KernelArguments = old.KernelArguments,
        };
}
