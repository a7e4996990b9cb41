using System.Runtime.InteropServices;

namespace GentooImage.Engine.Platform;

/// <summary>
/// stat(2)/lstat(2) reduced to what the host-safety checks need: a file's identity (device and
/// inode, so one directory reached two ways is recognised) and its type (so a device node is
/// never mistaken for an image file). struct stat begins with st_dev and st_ino on every 64-bit
/// Linux ABI; st_mode is read at the offset of the running architecture.
/// </summary>
internal static partial class FileIdentity
{
    internal const uint TypeMask = 0xF000;
    internal const uint Socket = 0xC000;
    internal const uint Symlink = 0xA000;
    internal const uint Regular = 0x8000;
    internal const uint BlockDevice = 0x6000;
    internal const uint Directory = 0x4000;
    internal const uint CharDevice = 0x2000;
    internal const uint Fifo = 0x1000;

    [LibraryImport("libc", EntryPoint = "stat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatNative(string path, Span<byte> buffer);

    [LibraryImport("libc", EntryPoint = "lstat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LstatNative(string path, Span<byte> buffer);

    /// <summary>(st_dev, st_ino) of what <paramref name="path"/> names (symlinks followed), or null when it does not exist.</summary>
    internal static (ulong Device, ulong Inode)? Of(string path)
    {
        Span<byte> buf = stackalloc byte[256];
        return StatNative(path, buf) == 0 ? Identity(buf) : null;
    }

    [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
    private static partial int FstatNative(int fd, Span<byte> buffer);

    /// <summary>(st_dev, st_ino) of an open file descriptor, or null.</summary>
    internal static (ulong Device, ulong Inode)? OfDescriptor(int fd)
    {
        Span<byte> buf = stackalloc byte[256];
        return FstatNative(fd, buf) == 0 ? Identity(buf) : null;
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenNative(string path, int flags);

    private const int O_RDONLY = 0;
    private const int O_NOFOLLOW = 0x20000;
    private const int O_CLOEXEC = 0x80000;

    /// <summary>
    /// Opens a regular file for reading without following a symlink in its last component
    /// (O_NOFOLLOW); null when it is a symlink or not a regular file.
    /// </summary>
    internal static FileStream? OpenNoFollow(string path)
    {
        var fd = OpenNative(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | 0x800 /* O_NONBLOCK: a FIFO must not hang us */);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == 40 /* ELOOP */)
            {
                return null;
            }

            throw new IOException($"Cannot open '{path}': {LibC.StrError(errno)}.");
        }

        var handle = new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
        if (OfDescriptorType(fd) != Regular)
        {
            handle.Dispose();
            return null;
        }

        return new FileStream(handle, FileAccess.Read);
    }

    private static uint OfDescriptorType(int fd)
    {
        Span<byte> buf = stackalloc byte[256];
        return FstatNative(fd, buf) == 0 ? Type(buf) : 0;
    }

    /// <summary>The S_IFMT bits of <paramref name="path"/> (the last component not followed), or 0 when it does not exist.</summary>
    internal static uint TypeOf(string path, bool follow = true)
    {
        Span<byte> buf = stackalloc byte[256];
        var rc = follow ? StatNative(path, buf) : LstatNative(path, buf);
        return rc == 0 ? Type(buf) : 0;
    }

    private static (ulong Device, ulong Inode) Identity(ReadOnlySpan<byte> stat) =>
        (MemoryMarshal.Read<ulong>(stat), MemoryMarshal.Read<ulong>(stat[8..]));

    // x86_64: st_dev(8) st_ino(8) st_nlink(8) st_mode(4); aarch64 and the generic ABI: st_dev(8) st_ino(8) st_mode(4).
    private static uint Type(ReadOnlySpan<byte> stat) =>
        MemoryMarshal.Read<uint>(stat[(RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 24 : 16)..]) & TypeMask;
}
