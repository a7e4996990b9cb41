using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Model;

/// <summary>
/// A build root the guard said yes to: its canonical path, its state as loaded under the lock,
/// and the lock itself (held until disposed).
/// </summary>
public sealed class BuildRootLease : IDisposable
{
    private readonly RootLock? _lock;

    internal BuildRootLease(string path, BuildRoot? root, RootLock? heldLock)
    {
        Path = path;
        Root = root;
        _lock = heldLock;
    }

    /// <summary>The canonical path of the root (symlinks resolved).</summary>
    public string Path { get; }

    /// <summary>The root's state (null for a root New-Stage3Root is about to create).</summary>
    public BuildRoot? Root { get; }

    /// <summary>True while this lease holds the root's lock.</summary>
    public bool IsLocked => _lock is not null;

    public void Dispose() => _lock?.Dispose();
}
