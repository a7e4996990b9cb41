using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Stage3;

/// <summary>
/// The hidden place a stage3 is extracted to while its hashes are still being checked:
/// <c>&lt;root&gt;/.gentooimage-stage-&lt;owner tag&gt;-&lt;8 hex&gt;/tree</c>. It is inside the root, so it is
/// on the root's file system (also when the root is a mount point of its own, the handbook's
/// /mnt/gentoo) and <see cref="Publish"/> only renames; its outer directory is mode 0700, so nothing
/// in it (setuid files included) can be reached by anyone else before it is published. The name
/// carries its owner: a killed run's staging is removed by the next New-Stage3Root, and by the
/// cmdlets that sweep a root's staging trees (<see cref="Leftovers.SweepRoot"/>).
/// </summary>
internal sealed class Stage3Staging
{
    private FileStat _treeStat;

    private Stage3Staging(string root, string outer)
    {
        Root = root;
        Outer = outer;
        Tree = Path.Combine(outer, "tree");
    }

    /// <summary>The build root the tree will be published into.</summary>
    public string Root { get; }

    /// <summary>The hidden 0700 directory.</summary>
    public string Outer { get; }

    /// <summary>Where tar extracts (the archive's "./" entry sets this directory's owner, mode and times).</summary>
    public string Tree { get; }

    /// <summary>Makes the hidden staging directories in the existing <paramref name="root"/>.</summary>
    public static Stage3Staging Create(string root)
    {
        var staging = new Stage3Staging(root, Path.Combine(root, OwnerTag.UniqueName(Leftovers.StagingPrefix)));
        FileCalls.Mkdir(staging.Outer, 0b111_000_000);
        FileCalls.Mkdir(staging.Tree, 0b111_000_000);
        return staging;
    }

    /// <summary>
    /// Moves the extracted tree into the root by renames (no data is copied) and gives the root the
    /// owner, mode, xattrs and times the archive's "./" entry gave the tree, as tar would have
    /// (<paramref name="archiveHasRoot"/> false: the root's own metadata is left as it is). A
    /// directory that already exists in the root (var/lib/gentooimage for the state file) is merged:
    /// its entries are moved in and it gets the archive's metadata.
    /// </summary>
    public void Publish(bool archiveHasRoot)
    {
        Merge(Tree, Root, archiveHasRoot);
        Directory.Delete(Tree);
        Directory.Delete(Outer);
        if (archiveHasRoot)
        {
            // Removing the staging directory changed the root's times again.
            FileCalls.SetTimes(Root, _treeStat);
        }
    }

    /// <summary>Removes the staging directory and whatever was extracted into it (symlinks are removed, not followed).</summary>
    public void Remove()
    {
        if (Directory.Exists(Outer))
        {
            Leftovers.Remove(Outer);
        }
    }

    private void Merge(string from, string to, bool copyMetadata)
    {
        // The directory's own times change as entries move out of it: keep them first.
        var st = FileCalls.LStat(from);
        foreach (var entry in new DirectoryInfo(from).EnumerateFileSystemInfos())
        {
            var target = Path.Combine(to, entry.Name);
            if (FileCalls.TryLStat(target, out var existing))
            {
                var isDir = entry is DirectoryInfo && entry.LinkTarget is null;
                if (!isDir || !existing.IsDirectory || target == Outer)
                {
                    throw new GentooImageException(ErrorKind.ToolFailed,
                        $"The stage3 entry '{entry.Name}' cannot be placed into '{to}': something of that name is already there.", target);
                }

                Merge(entry.FullName, target, copyMetadata: true);
                Directory.Delete(entry.FullName);
            }
            else
            {
                LibC.Rename(entry.FullName, target); // same file system: no data is copied
            }
        }

        if (copyMetadata)
        {
            FileCalls.CopyMetadata(from, st, to);
        }

        if (to == Root)
        {
            _treeStat = st;
        }
    }
}
