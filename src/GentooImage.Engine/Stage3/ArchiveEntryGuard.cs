using System.Formats.Tar;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Stage3;

/// <summary>
/// Decides, entry by entry and before GNU tar sees the entry, whether extracting it could create or
/// change anything outside the root. Refused: absolute names, <c>..</c> components, entries that go
/// through (or replace) an earlier symlink entry, hard links whose target is absolute, escapes or
/// goes through a symlink, entry types other than files, directories, links, devices and FIFOs (so
/// GNU sparse or multi-volume tricks cannot make tar and this check disagree), and pax records that
/// would rename an entry in a way this reader does not model.
/// </summary>
public sealed class ArchiveEntryGuard
{
    private readonly HashSet<string> _symlinks = new(StringComparer.Ordinal);
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

    /// <summary>Number of entries accepted so far.</summary>
    private static readonly HashSet<string> s_globalMetadataKeys = new(StringComparer.Ordinal)
    {
        "mtime", "atime", "ctime", "uid", "gid", "uname", "gname", "comment", "charset", "hdrcharset",
    };

    public long Count { get; private set; }

    /// <summary>True once the archive's entry for the root itself ("./") was accepted.</summary>
    public bool HasRootEntry { get; private set; }

    /// <summary>Checks one entry; throws <see cref="ErrorKind.UnsafeArchiveEntry"/> naming it when it is unsafe.</summary>
    public void Check(TarEntry entry)
    {
        var type = entry.EntryType;
        switch (type)
        {
            case TarEntryType.GlobalExtendedAttributes:
                // GNU tar applies global keywords (size included) to every later member, .NET's reader
                // does not: only plain metadata keys may be global, so both read the same headers.
                if (entry is PaxGlobalExtendedAttributesTarEntry g &&
                    g.GlobalExtendedAttributes.Keys.FirstOrDefault(k => !s_globalMetadataKeys.Contains(k)) is { } key)
                {
                    throw Unsafe(entry.Name, $"a global pax header sets '{key}' for every later entry");
                }

                return;
            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.Directory or TarEntryType.SymbolicLink
                or TarEntryType.HardLink or TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo:
                break;
            default:
                throw Unsafe(entry.Name, $"entry type {type} is not allowed in a stage3");
        }

        if (entry is PaxTarEntry pax && pax.ExtendedAttributes.Keys.Any(k => k.StartsWith("GNU.", StringComparison.Ordinal)))
        {
            throw Unsafe(entry.Name, "GNU sparse/volume pax records are not allowed in a stage3");
        }

        var name = Normalize(entry.Name, "name", entry.Name);
        if (name.Length == 0 && type != TarEntryType.Directory)
        {
            throw Unsafe(entry.Name, "only a directory may name the root itself");
        }

        if (ThroughSymlink(name) is { } via)
        {
            throw Unsafe(entry.Name, $"it would be written through the symlink '{via}' extracted earlier");
        }

        if (_symlinks.Contains(name) || (type == TarEntryType.SymbolicLink && _seen.Contains(name)))
        {
            throw Unsafe(entry.Name, "it replaces a symlink (or is a symlink replacing an earlier entry)");
        }

        if (type == TarEntryType.SymbolicLink && name.Length == 0)
        {
            throw Unsafe(entry.Name, "the root cannot be a symlink");
        }

        if (type == TarEntryType.HardLink)
        {
            var target = Normalize(entry.LinkName, "hard link target", entry.Name);
            if (target.Length == 0)
            {
                throw Unsafe(entry.Name, "a hard link to the root directory");
            }

            if (ThroughSymlink(target) is { } tvia)
            {
                throw Unsafe(entry.Name, $"its hard link target '{entry.LinkName}' goes through the symlink '{tvia}'");
            }

            if (_symlinks.Contains(target))
            {
                // linkat() without AT_SYMLINK_FOLLOW makes the new name a symlink too.
                _symlinks.Add(name);
            }
        }

        if (type == TarEntryType.SymbolicLink)
        {
            _symlinks.Add(name);
        }

        _seen.Add(name);
        HasRootEntry |= name.Length == 0;
        Count++;
    }

    /// <summary>
    /// "./usr//bin/" -> "usr/bin"; refuses absolute paths and ".." components (a name that stays
    /// inside after ".." is still refused: GNU tar refuses those too, and a stage3 never has one).
    /// </summary>
    public static string Normalize(string name, string what = "name", string? entry = null)
    {
        entry ??= name;
        if (name.Contains('\0', StringComparison.Ordinal))
        {
            throw Unsafe(entry, $"its {what} contains a NUL byte");
        }

        if (name.StartsWith('/'))
        {
            throw Unsafe(entry, $"its {what} '{name}' is absolute");
        }

        var parts = name.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToList();
        if (parts.Any(p => p == ".."))
        {
            throw Unsafe(entry, $"its {what} '{name}' has a '..' component");
        }

        return string.Join('/', parts);
    }

    private string? ThroughSymlink(string path)
    {
        var i = path.IndexOf('/', StringComparison.Ordinal);
        while (i > 0)
        {
            var prefix = path[..i];
            if (_symlinks.Contains(prefix))
            {
                return prefix;
            }

            i = path.IndexOf('/', i + 1);
        }

        return null;
    }

    private static GentooImageException Unsafe(string entry, string why) =>
        new(ErrorKind.UnsafeArchiveEntry,
            $"The archive entry '{entry}' is unsafe: {why}. Nothing was extracted outside the root and the partial root was removed; the archive is not a genuine stage3 — get it again from a trusted mirror.",
            entry);
}
