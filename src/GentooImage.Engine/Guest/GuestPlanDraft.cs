using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Guest;

/// <summary>
/// The cloud-guest plan while the part planners draw it up: the changes and notes so far, and the
/// primitive edits they are made of (write a file, link, delete, empty a directory, add a kernel
/// argument). An edit already in effect is left out, and several writes of one file become one
/// change, so a second run plans nothing.
/// </summary>
internal sealed class GuestPlanDraft
{
    public const UnixFileMode Exec = (UnixFileMode)0b111_101_101;
    public const UnixFileMode Regular = (UnixFileMode)0b110_100_100;

    private readonly List<GuestChange> _changes = new();
    private readonly Dictionary<string, string> _pending = new(StringComparer.Ordinal);
    private readonly List<string> _notes = new();

    public GuestPlanDraft(BuildRoot root, GuestOptions options, OperationContext ctx, GuestRootFs fs, InitSystem init)
    {
        Root = root;
        Options = options;
        Ctx = ctx;
        Fs = fs;
        Init = init;
    }

    public BuildRoot Root { get; }

    public GuestOptions Options { get; }

    public OperationContext Ctx { get; }

    public GuestRootFs Fs { get; }

    public InitSystem Init { get; }

    public IReadOnlyList<GuestChange> Changes => _changes;

    public IReadOnlyList<string> Notes => _notes;

    public void Note(string message, bool warn = false)
    {
        _notes.Add(message);
        if (warn)
        {
            Ctx.Warning(message);
        }
        else
        {
            Ctx.Verbose(message);
        }
    }

    /// <summary>The text of a file as the plan so far leaves it (a planned write, else the root's), or null.</summary>
    public string? Current(string path) => _pending.TryGetValue(path, out var text) ? text : Fs.ReadText(path);

    public void Add(GuestChange change) => _changes.Add(change);

    public void WriteFile(GuestPart part, string path, string content, UnixFileMode mode, string why)
    {
        var current = Current(path);
        var isLink = Fs.LinkTarget(path) is not null;
        if (current == content && !isLink)
        {
            return;
        }

        _pending[path] = content;
        var existing = _changes.FindIndex(c => c.Kind == GuestChangeKind.WriteFile && c.Path == path);
        if (existing >= 0)
        {
            var prior = _changes[existing];
            _changes[existing] = prior with { Value = content, Description = prior.Description + "; " + why };
            return;
        }

        Add(new GuestChange
        {
            Part = part,
            Kind = GuestChangeKind.WriteFile,
            Path = path,
            Value = content,
            Mode = mode,
            Description = $"write {path} ({why})",
        });
    }

    public void Link(GuestPart part, string path, string target)
    {
        var existing = Fs.LinkTarget(path);
        if (existing == target || _changes.Any(c => c.Kind == GuestChangeKind.Symlink && c.Path == path))
        {
            return;
        }

        if (existing is not null && target.StartsWith('/') && SameFile(path, target))
        {
            // Already a link to the same file by another name (/lib/... on a merged /usr): systemctl keeps it too.
            return;
        }

        Add(new GuestChange { Part = part, Kind = GuestChangeKind.Symlink, Path = path, Value = target, Description = $"link {path} -> {target}" });
    }

    public void Delete(GuestPart part, string path, string why)
    {
        if (!Fs.EntryExists(path))
        {
            return;
        }

        Add(new GuestChange { Part = part, Kind = GuestChangeKind.Delete, Path = path, Description = $"remove {path} ({why})" });
    }

    public void EmptyDirectory(GuestPart part, string path, string why)
    {
        if (MountTable.Below(MountTable.Read(), Fs.Resolve(path)).Count > 0)
        {
            // A tmpfs or a host cache bound there by Mount-BuildFilesystems: its content is not the root's.
            Note($"{path} is a mount point now and was left alone; its content never goes into an image.", warn: path != "/var/tmp/portage");
            return;
        }

        if (Fs.LinkTarget(path) is null && Fs.List(path).Any())
        {
            Add(new GuestChange { Part = part, Kind = GuestChangeKind.EmptyDirectory, Path = path, Description = $"empty {path} ({why})" });
        }
    }

    public void KernelArgument(GuestPart part, string argument, string why)
    {
        if (Root.KernelArguments.Contains(argument))
        {
            return;
        }

        Add(new GuestChange { Part = part, Kind = GuestChangeKind.KernelArgument, Value = argument, Description = $"add kernel argument {argument} for the image ({why})" });
    }

    private bool SameFile(string link, string target)
    {
        try
        {
            var a = Fs.Resolve(link);
            return File.Exists(a) && a == Fs.Resolve(target);
        }
        catch (GentooImageException)
        {
            return false; // A loop: not the same, replace it.
        }
    }
}
