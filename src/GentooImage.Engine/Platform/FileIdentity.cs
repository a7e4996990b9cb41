using System.Runtime.InteropServices;

namespace GentooImage.Engine.Platform;

/// <summary>
/// stat(2)/lstat(2) reduced to what the host-safety checks need: a file's identity (device and
/// inode, so one directory reached two ways is recognised) and its type (so a device node is
/// never mistaken for an image file). The calls, the struct stat layout and the file-type values
/// (LibC.S_IF*) are <see cref="LibC"/>'s.
/// </summary>
internal static class FileIdentity
{
    /// <summary>(st_dev, st_ino) of what <paramref name="path"/> names (symlinks followed), or null when it does not exist.</summary>
    internal static (ulong Device, ulong Inode)? Of(string path) =>
        LibC.TryStat(path, follow: true, out var st) ? (st.Dev, st.Ino) : null;

    /// <summary>(st_dev, st_ino) of an open file descriptor, or null.</summary>
    internal static (ulong Device, ulong Inode)? OfDescriptor(int fd) =>
        LibC.TryFStat(fd, out var st) ? (st.Dev, st.Ino) : null;

    /// <summary>
    /// Opens a regular file for reading without following a symlink in its last component
    /// (O_NOFOLLOW); null when it is a symlink or not a regular file.
    /// </summary>
    internal static FileStream? OpenNoFollow(string path)
    {
        // O_NONBLOCK: a FIFO must not hang us.
        var fd = LibC.Open(path, LibC.O_RDONLY | LibC.O_NOFOLLOW | LibC.O_CLOEXEC | LibC.O_NONBLOCK);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == LibC.ELOOP)
            {
                return null;
            }

            throw new IOException($"Cannot open '{path}': {LibC.StrError(errno)}.");
        }

        var handle = new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
        if (!LibC.TryFStat(fd, out var st) || !st.IsRegular)
        {
            handle.Dispose();
            return null;
        }

        return new FileStream(handle, FileAccess.Read);
    }

    /// <summary>
    /// Opens a log file for writing (created mode 0644, emptied unless <paramref name="append"/>)
    /// without following a symlink in its last component: a name checked by
    /// <see cref="HostPathPolicy.CheckOutputFile"/> that is swapped for a symlink (to /etc/shadow,
    /// say) before the open is refused, and so is anything that is not a regular file by then.
    /// </summary>
    internal static FileStream CreateLogNoFollow(string path, bool append)
    {
        var flags = LibC.O_WRONLY | LibC.O_CREAT | LibC.O_NOFOLLOW | LibC.O_CLOEXEC | LibC.O_NONBLOCK | (append ? LibC.O_APPEND : 0);
        var fd = LibC.Open(path, flags, 0x1A4 /* 0644 */);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw errno switch
            {
                LibC.ELOOP => new GentooImageException(ErrorKind.UnsafeOutputPath, $"The log '{path}' is a symlink now (it was not when it was checked); nothing was written to it. Give the path of a regular file.", path),
                LibC.EACCES or LibC.EPERM or LibC.EROFS => new UnauthorizedAccessException($"Cannot open '{path}' for writing: {LibC.StrError(errno)}."),
                _ => new IOException($"Cannot open '{path}' for writing: {LibC.StrError(errno)}."),
            };
        }

        var handle = new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
        FileStream? stream = null;
        try
        {
            if (!LibC.TryFStat(fd, out var st) || !st.IsRegular)
            {
                throw new GentooImageException(ErrorKind.UnsafeOutputPath, $"The log '{path}' is no longer a regular file; nothing was written to it.", path);
            }

            stream = new FileStream(handle, FileAccess.Write);
            if (append)
            {
                stream.Seek(0, SeekOrigin.End);
            }
            else
            {
                stream.SetLength(0);
            }

            return stream;
        }
        catch
        {
            stream?.Dispose();
            handle.Dispose();
            throw;
        }
    }

    /// <summary>The S_IFMT bits of <paramref name="path"/> (with <paramref name="follow"/> false, the last component not followed), or 0 when it does not exist.</summary>
    internal static uint TypeOf(string path, bool follow = true) =>
        LibC.TryStat(path, follow, out var st) ? st.Type : 0;
}
