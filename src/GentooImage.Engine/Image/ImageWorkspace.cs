using System.Text.RegularExpressions;
using GentooImage.Engine.Platform;
using static GentooImage.Engine.Image.SizeText;

namespace GentooImage.Engine.Image;

/// <summary>
/// One image build's working state: the temporary image beside the target and the work directory
/// in /tmp (both named for this process, <see cref="OwnerTag"/>, so the next run removes them if
/// this one is killed), the tools it runs, its progress, and the cleanup that leaves nothing behind
/// when the build fails or is cancelled.
/// </summary>
internal sealed class ImageWorkspace
{
    public const string Activity = "Writing the disk image";

    /// <summary>The work directory in /tmp: gi-image-&lt;owner tag&gt;.</summary>
    public const string WorkPrefix = "gi-image-";

    /// <summary>The temporary image converted to qcow2 (-Format Qcow2) beside itself.</summary>
    private const string Qcow2Suffix = ".qcow2";

    private static readonly Regex s_work = Leftovers.PatternFor(WorkPrefix);
    private static readonly Regex s_qcow2 = AtomicFile.TempNamePattern(Qcow2Suffix);

    private readonly IProcessRunner _runner;
    private readonly List<string> _tempFiles = new();

    public ImageWorkspace(DiskImageLayout layout, OperationContext ctx, IProcessRunner runner)
    {
        Layout = layout;
        Context = ctx;
        _runner = runner;

        // AtomicFile's temporary name, which ends in a letter, so sfdisk names the partitions
        // <file>1, <file>2 (not <file>p1).
        TempImage = AtomicFile.TempPathFor(layout.Request.ImagePath);
        WorkDirectory = Path.Combine(Path.GetTempPath(), OwnerTag.UniqueName(WorkPrefix));
    }

    /// <summary>
    /// Removes what killed New-RawDiskImage runs left (their owner process no longer runs): hidden
    /// temporary images and sidecars beside <paramref name="imagePath"/>, gi-image-* work
    /// directories in /tmp, and staging trees of <paramref name="rootPath"/>.
    /// </summary>
    public static IReadOnlyList<string> RemoveLeftovers(string imagePath, string? rootPath, OperationContext ctx)
    {
        var removed = new List<string>(AtomicFile.SweepBeside(imagePath, ctx.Verbose));
        if (Path.GetDirectoryName(Path.GetFullPath(imagePath)) is { } dir)
        {
            removed.AddRange(Leftovers.Sweep(dir, s_qcow2, ctx.Verbose));
        }

        removed.AddRange(Leftovers.Sweep(Path.GetTempPath(), s_work, ctx.Verbose));
        if (!string.IsNullOrEmpty(rootPath))
        {
            removed.AddRange(Leftovers.SweepRoot(rootPath, ctx.Verbose));
        }

        return removed;
    }

    /// <summary>Where <see cref="TempImage"/> is converted to when -Format Qcow2 asks for it.</summary>
    public string TempQcow2 => TempImage + Qcow2Suffix;

    public DiskImageLayout Layout { get; }

    public OperationContext Context { get; }

    /// <summary>The raw image being written (renamed to the target at the very end).</summary>
    public string TempImage { get; }

    /// <summary>A private directory for grub images, debugfs scripts and the like.</summary>
    public string WorkDirectory { get; }

    /// <summary>Something to remove if the build does not finish (a qcow2 copy, ...).</summary>
    public void AddTempFile(string path) => _tempFiles.Add(path);

    /// <summary>Creates the work directory and the sparse raw image of the planned size.</summary>
    public void CreateSparseImage()
    {
        var req = Layout.Request;
        Directory.CreateDirectory(WorkDirectory);
        Step("Creating the sparse image file", 1);
        if (File.Exists(req.ImagePath) && !req.Force)
        {
            throw new GentooImageException(ErrorKind.ImageExists, $"The image '{req.ImagePath}' already exists. Remove it, choose another -Path, or use -Force to replace it.", req.ImagePath);
        }

        _tempFiles.Add(TempImage);
        using var fs = new FileStream(TempImage, FileMode.CreateNew, FileAccess.Write);
        fs.SetLength(Layout.SizeBytes);
    }

    /// <summary>Reports a step (progress bar and verbose line); throws when cancelled.</summary>
    public void Step(string status, int percent)
    {
        Context.ThrowIfCancelled(status);
        Context.Report(new ProgressReport(Activity, status, percent));
        Context.Verbose(status);
    }

    /// <summary>Runs a tool; a full disk becomes <see cref="NoSpace"/>, any other failure ImageBuildFailed.</summary>
    public ProcessResult Tool(ProcessSpec spec, string what) =>
        Run(spec, what).EnsureSuccess(ErrorKind.ImageBuildFailed, what);

    /// <summary>Runs a tool and returns its result as it is, except that a full disk becomes <see cref="NoSpace"/>.</summary>
    public ProcessResult Run(ProcessSpec spec, string what)
    {
        Context.ThrowIfCancelled(what);
        Context.Verbose(spec.Display);
        var result = _runner.RunAsync(spec, Context.Cancellation).GetAwaiter().GetResult();
        if (!result.Succeeded && (result.StandardError + result.StandardOutput).Contains("No space left on device", StringComparison.Ordinal))
        {
            throw NoSpace(null);
        }

        return result;
    }

    public GentooImageException NoSpace(Exception? inner) => new(
        ErrorKind.ImageBuildFailed,
        $"No space left while writing '{Layout.Request.ImagePath}' (it needs up to {Layout.UsedBytes * 11 / 10 / MiB} MiB of real space for {Layout.SizeBytes / MiB} MiB virtual). Free space in '{Path.GetDirectoryName(Layout.Request.ImagePath)}' or write the image elsewhere; nothing was left behind.",
        Layout.Request.ImagePath,
        inner);

    /// <summary>The image is in place: the temporary files are no longer temporary.</summary>
    public void Finished() => _tempFiles.Clear();

    /// <summary>
    /// Removes the temporary files (the image and its sidecars while they are staged) and the work
    /// directory. Files this run did not write, such as an earlier image's sidecars, are never removed.
    /// </summary>
    public void Cleanup()
    {
        foreach (var f in _tempFiles)
        {
            TryDelete(f);
        }

        try
        {
            Directory.Delete(WorkDirectory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A temp directory; nothing the user sees.
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort during cleanup.
        }
    }
}
