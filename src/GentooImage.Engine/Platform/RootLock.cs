using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace GentooImage.Engine.Platform;

/// <summary>
/// One exclusive lock per build root, shared by every process on the host: flock(2) on
/// <c>/run/lock/gentooimage/&lt;sha256 of the canonical root path&gt;.lock</c>. The lock lives
/// outside the root, so it is the same lock before a root exists, while New-Stage3Root -Force
/// empties it, and for a root that is a mount point of its own. The kernel drops it when the
/// holder exits, even on SIGKILL, so a stale lock file never blocks anybody. The holder writes
/// its pid, operation and command line into the file, for the message the next session gets.
/// </summary>
public sealed class RootLock : IDisposable
{
    /// <summary>Where lock files live (a tmpfs: locks do not outlive a reboot, nor should they).</summary>
    public static string Directory { get; set; } = "/run/lock/gentooimage";

    private SafeFileHandle? _handle;
    private readonly string _file;

    private RootLock(string rootPath, string file, SafeFileHandle handle)
    {
        RootPath = rootPath;
        _file = file;
        _handle = handle;
    }

    /// <summary>The canonical root path this lock is for.</summary>
    public string RootPath { get; }

    /// <summary>The lock file for a canonical root path.</summary>
    public static string FileFor(string canonicalRoot)
    {
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRoot))).ToLowerInvariant();
        return Path.Combine(Directory, hash[..32] + ".lock");
    }

    /// <summary>
    /// Takes the lock for <paramref name="canonicalRoot"/>, waiting up to <paramref name="wait"/>
    /// (zero: not at all). Throws <see cref="ErrorKind.BuildRootLocked"/> naming the holder.
    /// </summary>
    public static RootLock Acquire(string canonicalRoot, string operation, TimeSpan wait, CancellationToken cancellation)
    {
        // Changing a build root takes root (owners, mounts, chroot); so does the host-wide lock directory.
        Privilege.RequireRoot(operation, $"it changes a build root and locks it in {Directory}");
        System.IO.Directory.CreateDirectory(Directory);
        var file = FileFor(canonicalRoot);
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            cancellation.ThrowIfCancellationRequested();
            // open(2) directly: .NET's FileStream takes flock(LOCK_SH) of its own on Unix, which
            // would collide with ours and fail with a sharing violation instead of waiting its turn.
            var fd = LibC.Open(file, LibC.O_RDWR | LibC.O_CREAT | LibC.O_CLOEXEC | LibC.O_NOFOLLOW, 0x1A4 /* 0644 */);
            if (fd < 0)
            {
                var openErrno = Marshal.GetLastPInvokeError();
                throw new GentooImageException(ErrorKind.BuildRootLocked, $"Cannot open the lock file '{file}' for '{canonicalRoot}': {LibC.StrError(openErrno)}.", canonicalRoot);
            }

            var handle = new SafeFileHandle(fd, ownsHandle: true);
            if (LibC.Flock(fd, LibC.LOCK_EX | LibC.LOCK_NB) == 0)
            {
                // The file may have been unlinked by the previous holder between our open and
                // flock: then this lock is on a dead inode; open again.
                if (FileIdentity.Of(file) is { } now && SameFile(handle, now))
                {
                    var held = new RootLock(canonicalRoot, file, handle);
                    held.WriteHolder(operation);
                    return held;
                }

                handle.Dispose();
                continue;
            }

            var errno = Marshal.GetLastPInvokeError();
            handle.Dispose();
            if (errno != LibC.EWOULDBLOCK)
            {
                throw new GentooImageException(ErrorKind.BuildRootLocked, $"Cannot lock the build root '{canonicalRoot}' ({file}): {LibC.StrError(errno)}.", canonicalRoot);
            }

            if (deadline.Elapsed >= wait)
            {
                throw new GentooImageException(
                    ErrorKind.BuildRootLocked,
                    $"The build root '{canonicalRoot}' is in use by another GentooImage operation: {Holder(file)}. " +
                    "Wait for it to finish (or stop it) and run this again; nothing was changed." +
                    (wait > TimeSpan.Zero ? $" Waited {wait.TotalSeconds:0} s." : string.Empty),
                    canonicalRoot);
            }

            cancellation.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(200));
        }
    }

    /// <summary>Who holds the lock, as its holder wrote it, or a plain description when it wrote nothing yet.</summary>
    public static string Holder(string lockFile)
    {
        // Raw read(2): a .NET FileStream would try a shared flock of its own and fail on the holder's.
        var fd = LibC.Open(lockFile, LibC.O_RDONLY | LibC.O_CLOEXEC | LibC.O_NOFOLLOW);
        if (fd < 0)
        {
            return "a process whose details cannot be read";
        }

        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        var buffer = new byte[1024];
        var n = LibC.PRead(fd, buffer, buffer.Length, 0);
        var text = n > 0 ? Encoding.UTF8.GetString(buffer, 0, (int)n).Trim() : string.Empty;
        return text.Length == 0 ? "a process that is just starting" : text.Replace('\n', ' ');
    }

    public void Dispose()
    {
        if (_handle is null)
        {
            return;
        }

        // Unlink while still holding it, so no waiter ever locks a file nobody else can find.
        try
        {
            File.Delete(_file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left for the next holder to reuse.
        }

        LibC.Flock((int)_handle.DangerousGetHandle(), LibC.LOCK_UN);
        _handle.Dispose();
        _handle = null;
    }

    private void WriteHolder(string operation)
    {
        var pid = Environment.ProcessId;
        string cmdline;
        try
        {
            cmdline = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (IOException)
        {
            cmdline = "?";
        }

        if (cmdline.Length > 300)
        {
            cmdline = cmdline[..300] + "...";
        }

        // Padded to a fixed size, so a longer earlier holder's text never shows through (no ftruncate needed).
        var text = $"pid {pid} ({operation}, since {DateTime.UtcNow:yyyy-MM-dd HH:mm:ss}Z, command line: {cmdline})";
        var bytes = new byte[1024];
        Array.Fill(bytes, (byte)' ');
        var used = Encoding.UTF8.GetBytes(text.Length > 900 ? text[..900] : text, bytes);
        bytes[used] = (byte)'\n';
        LibC.PWrite((int)_handle!.DangerousGetHandle(), bytes, bytes.Length, 0);
    }

    private static bool SameFile(SafeFileHandle handle, (ulong Device, ulong Inode) path) =>
        FileIdentity.OfDescriptor((int)handle.DangerousGetHandle()) is { } open && open == path;
}
