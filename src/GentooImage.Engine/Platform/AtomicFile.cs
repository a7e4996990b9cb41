using System.Text;
using System.Text.RegularExpressions;

namespace GentooImage.Engine.Platform;

/// <summary>
/// The one way the engine replaces a file whole: the content goes to a temporary file beside the
/// target, created with O_EXCL (<see cref="FileMode.CreateNew"/>, so a symlink planted under that
/// name is never written through), is flushed to disk (fsync), and is then renamed over the target
/// (a rename replaces a symlink, it never follows it). A reader sees the old file or the new one,
/// never half of one; on any failure the temporary file is removed and the target is untouched.
/// The temporary name carries this process's <see cref="OwnerTag"/>
/// (<c>.&lt;name&gt;.o&lt;pid&gt;_&lt;start&gt;-&lt;random&gt;.tmp</c>), so <see cref="SweepBeside"/> can
/// tell a killed run's leftover from a live one's. Writers sweep where they write: New-RawDiskImage
/// beside the image and its sidecars, <c>BuildRootStore.Save</c> beside state.json.
/// </summary>
public static class AtomicFile
{
    /// <summary>The temporary name used beside <paramref name="path"/> for one write.</summary>
    public static string TempPathFor(string path) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "." + Path.GetFileName(path) + "." + OwnerTag.UniqueName(string.Empty) + ".tmp");

    /// <summary>
    /// The names <see cref="TempPathFor"/> makes for any target (followed by <paramref name="suffix"/>,
    /// e.g. a tool's output written beside the temporary file).
    /// </summary>
    public static Regex TempNamePattern(string suffix = "") =>
        new(@"^\..+\." + OwnerTag.Pattern + Regex.Escape(".tmp" + suffix) + "$", RegexOptions.CultureInvariant);

    /// <summary>
    /// Removes the temporary files that killed writers (their owner no longer runs) left beside
    /// <paramref name="path"/>; returns their paths.
    /// </summary>
    public static IReadOnlyList<string> SweepBeside(string path, Action<string>? verbose) =>
        Path.GetDirectoryName(Path.GetFullPath(path)) is { } dir ? Leftovers.Sweep(dir, TempNamePattern(), verbose) : Array.Empty<string>();

    /// <summary>Replaces <paramref name="path"/> with <paramref name="text"/> (UTF-8, no BOM).</summary>
    public static void WriteText(string path, string text) =>
        Write(path, s => s.Write(new UTF8Encoding(false).GetBytes(text)));

    /// <summary>Replaces <paramref name="path"/> with <paramref name="bytes"/>.</summary>
    public static void WriteBytes(string path, byte[] bytes) => Write(path, s => s.Write(bytes));

    /// <summary>Replaces <paramref name="path"/> with what <paramref name="write"/> writes to the stream it is given.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var tmp = TempPathFor(path);
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }

            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    /// <summary>Async form of <see cref="WriteBytes"/>.</summary>
    public static async Task WriteBytesAsync(string path, byte[] bytes, CancellationToken cancellation)
    {
        var tmp = TempPathFor(path);
        try
        {
            await using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, useAsync: true))
            {
                await fs.WriteAsync(bytes, cancellation).ConfigureAwait(false);
                fs.Flush(flushToDisk: true);
            }

            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    /// <summary>
    /// Puts a finished temporary file (one this process created, e.g. a disk image or a download
    /// written in steps) in place: flushed to disk, then renamed to <paramref name="path"/>. With
    /// <paramref name="overwrite"/> false an existing target is an error, as with <see cref="File.Move(string, string, bool)"/>.
    /// </summary>
    public static void Commit(string tempPath, string path, bool overwrite = true)
    {
        using (var fs = new FileStream(tempPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
        {
            fs.Flush(flushToDisk: true);
        }

        File.Move(tempPath, path, overwrite);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The original error matters more; a killed run's leftover is swept by name.
        }
    }
}
