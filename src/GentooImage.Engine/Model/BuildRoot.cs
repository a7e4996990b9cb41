using System.Text.Json.Serialization;

namespace GentooImage.Engine.Model;

/// <summary>
/// The object that flows through the pipeline: a directory that holds (or will hold) a Gentoo root,
/// what was extracted into it, what the module mounted on it, its kernel configuration report and
/// the history of every step. Its state is kept inside the root (see <see cref="BuildRootStore"/>),
/// so a new session can pick it up again by path.
/// </summary>
public sealed class BuildRoot
{
    private readonly List<MountRecord> _mounts = new();
    private readonly List<HistoryEntry> _history = new();
    private readonly List<string> _kernelArguments = new();

    [JsonConstructor]
    public BuildRoot(string path)
    {
        if (string.IsNullOrWhiteSpace(path) || !System.IO.Path.IsPathRooted(path))
        {
            throw new ArgumentException($"A build root path must be absolute, not '{path}'.", nameof(path));
        }

        Path = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(path));
        if (Path.Length == 0)
        {
            Path = "/";
        }
    }

    /// <summary>Absolute path of the root directory.</summary>
    public string Path { get; }

    /// <summary>Incomplete from the moment New-Stage3Root starts extracting until it has finished.</summary>
    public BuildRootState State { get; set; }

    /// <summary>What was extracted into the root, or null when the module did not extract it.</summary>
    public Stage3Info? Stage3 { get; set; }

    /// <summary>The mounts the module made on this root, in the order they were made.</summary>
    public IReadOnlyList<MountRecord> Mounts
    {
        get => _mounts;
        init => _mounts = value.ToList();
    }

    /// <summary>True while the module's mounts are in place.</summary>
    public bool IsMounted { get; set; }

    /// <summary>The last kernel configuration report, or null.</summary>
    public KernelConfigReport? KernelConfig { get; set; }

    /// <summary>Every step run on this root, oldest first.</summary>
    public IReadOnlyList<HistoryEntry> History
    {
        get => _history;
        init => _history = value.ToList();
    }

    /// <summary>
    /// Extra kernel command-line arguments that steps require of the image (for example
    /// <c>net.ifnames=0</c> from Initialize-CloudGuest when it configures netifrc for eth0).
    /// The image/boot-loader step appends them to the kernel command line.
    /// </summary>
    public IReadOnlyList<string> KernelArguments
    {
        get => _kernelArguments;
        init => _kernelArguments = value.ToList();
    }

    /// <summary>Where the state file of this root lives.</summary>
    [JsonIgnore]
    public string StatePath => BuildRootStore.StatePathFor(Path);

    public void SetMounts(IEnumerable<MountRecord> mounts)
    {
        _mounts.Clear();
        _mounts.AddRange(mounts);
    }

    public void AddHistory(HistoryEntry entry) => _history.Add(entry);

    /// <summary>Adds a kernel argument unless it is already there; returns true when it was added.</summary>
    public bool AddKernelArgument(string argument)
    {
        if (string.IsNullOrWhiteSpace(argument) || argument.Any(char.IsWhiteSpace))
        {
            throw new ArgumentException($"A kernel argument is one word without spaces, not '{argument}'.", nameof(argument));
        }

        if (_kernelArguments.Contains(argument, StringComparer.Ordinal))
        {
            return false;
        }

        _kernelArguments.Add(argument);
        return true;
    }

    /// <summary>An absolute host path for a path inside the root ("/etc/fstab" -> "&lt;root&gt;/etc/fstab"). No symlinks are resolved.</summary>
    public string HostPath(string pathInRoot) =>
        System.IO.Path.Join(Path, pathInRoot.TrimStart('/'));

    public override string ToString() => Path;
}
