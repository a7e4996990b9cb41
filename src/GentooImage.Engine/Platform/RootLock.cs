using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace GentooImage.Engine.Platform;

/// <summary>
/// One exclusive lock per build root, shared by every process on the host: flock(2) on
/// <c>/run/lock/gentooimage/&lt;sha256 of the canonical root path&gt;.lock</c>, and, for a root
/// directory that exists, on a second file named for the directory itself (its device and inode),
/// so the same root reached by two paths (a bind mount of it: <c>mount --bind /srv/g /mnt/g</c>) is
/// one lock. The locks live outside the root, so the path lock is the same before a root exists,
/// while New-Stage3Root -Force empties it, and for a root that is a mount point of its own. The
/// kernel drops them when the holder exits, even on SIGKILL, so a stale lock file never blocks
/// anybody. The holder writes its pid, operation and command line into them, for the message the
/// next session gets.
/// </summary>
public sealed class RootLock : IDisposable
{
    /// <summary>Where lock files live (a tmpfs: locks do not outlive a reboot, nor should they).</summary>
    public static string Directory { get; set; } = "/run/lock/gentooimage";

    private readonly List<(string File, SafeFileHandle Handle)> _held;

    private RootLock(string rootPath, List<(string File, SafeFileHandle Handle)> held)
    {
        RootPath = rootPath;
        _held = held;
    }

    /// <summary>The canonical root path this lock is for.</summary>
    public string RootPath { get; }

    /// <summary>The lock file for a canonical root path.</summary>
    public static string FileFor(string canonicalRoot) => Named(canonicalRoot, string.Empty);

    /// <summary>The lock file for the directory <paramref name="canonicalRoot"/> names (device and inode), or null when it does not exist.</summary>
    public static string? IdentityFileFor(string canonicalRoot) =>
        LibC.TryStat(canonicalRoot, follow: true, out var st) && st.Type == LibC.S_IFDIR
            ? Named(FormattableString.Invariant($"dir:{st.Dev}:{st.Ino}"), "i-")
            : null;

    /// <summary>
    /// <paramref name="prefix"/> + the first 32 hex of SHA-256(<paramref name="key"/>) + ".lock". The path
    /// lock's key is the path alone, as before identity locks existed, so a session of an older build
    /// and one of this build still exclude each other.
    /// </summary>
    private static string Named(string key, string prefix) =>
        Path.Combine(Directory, prefix + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key))).ToLowerInvariant()[..32] + ".lock");

    /// <summary>
    /// Takes the lock for <paramref name="canonicalRoot"/>, waiting up to <paramref name="wait"/>
    /// (zero: not at all). Throws <see cref="ErrorKind.BuildRootLocked"/> naming the holder.
    /// </summary>
    public static RootLock Acquire(string canonicalRoot, string operation, TimeSpan wait, CancellationToken cancellation)
    {
        // Changing a build root takes root (owners, mounts, chroot); so does the host-wide lock directory.
        Privilege.RequireRoot(operation, $"it changes a build root and locks it in {Directory}");
        PrepareDirectory();
        var deadline = Stopwatch.StartNew();
        var held = new List<(string File, SafeFileHandle Handle)>();
        try
        {
            foreach (var file in new[] { FileFor(canonicalRoot), IdentityFileFor(canonicalRoot) })
            {
                if (file is not null)
                {
                    held.Add((file, Take(file, canonicalRoot, operation, wait, deadline, cancellation)));
                }
            }

            return new RootLock(canonicalRoot, held);
        }
        catch
        {
            Release(held);
            throw;
        }
    }

    /// <summary>
    /// The lock directory: made mode 0755 when missing, and used only when it is a directory owned by
    /// root that nobody else may write to (a local user who made /run/lock/gentooimage first could
    /// otherwise block roots or remove held locks).
    /// </summary>
    private static void PrepareDirectory()
    {
        if (!LibC.TryStat(Directory, follow: false, out _) && !OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }

        if (!LibC.TryStat(Directory, follow: false, out var st) || st.Type != LibC.S_IFDIR || st.Uid != 0 || (st.Mode & 0x12) != 0 /* g+w, o+w */)
        {
            throw new GentooImageException(
                ErrorKind.BuildRootLocked,
                $"The lock directory '{Directory}' is not a directory owned by root that only root may write to. Remove it (another user may have made it) and run this again; nothing was changed.",
                Directory);
        }
    }

    private static SafeFileHandle Take(string file, string canonicalRoot, string operation, TimeSpan wait, Stopwatch deadline, CancellationToken cancellation)
    {
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
                    WriteHolder(handle, operation);
                    return handle;
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

    public void Dispose() => Release(_held);

    private static void Release(List<(string File, SafeFileHandle Handle)> held)
    {
        // The identity lock first, the path lock last (the reverse of taking them).
        for (var i = held.Count - 1; i >= 0; i--)
        {
            var (file, handle) = held[i];
            // Unlink while still holding it, so no waiter ever locks a file nobody else can find.
            try
            {
                File.Delete(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Left for the next holder to reuse.
            }

            LibC.Flock((int)handle.DangerousGetHandle(), LibC.LOCK_UN);
            handle.Dispose();
        }

        held.Clear();
    }

    private static void WriteHolder(SafeFileHandle handle, string operation)
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
        LibC.PWrite((int)handle.DangerousGetHandle(), bytes, bytes.Length, 0);
    }

    private static bool SameFile(SafeFileHandle handle, (ulong Device, ulong Inode) path) =>
        FileIdentity.OfDescriptor((int)handle.DangerousGetHandle()) is { } open && open == path;
}
