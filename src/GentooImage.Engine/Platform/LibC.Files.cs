using System.Runtime.InteropServices;

namespace GentooImage.Engine.Platform;

/// <summary>
/// stat(2), lstat(2), fstat(2), open(2), flock(2), pread(2) and pwrite(2): the file calls the
/// engine makes directly. The file-type bits of st_mode are listed once here (<see cref="S_IFMT"/>
/// and the S_IF* values) and struct stat is decoded in one place (<see cref="Decode"/>) for the
/// 64-bit Linux ABIs: x86_64's own layout and the generic one of aarch64 and riscv64, which differ
/// only in where st_mode and st_nlink sit. <see cref="FileIdentity"/>, <see cref="RootLock"/> and
/// <see cref="FileCalls"/> use these.
/// </summary>
internal static partial class LibC
{
    internal const uint S_IFMT = 0xF000;
    internal const uint S_IFSOCK = 0xC000;
    internal const uint S_IFLNK = 0xA000;
    internal const uint S_IFREG = 0x8000;
    internal const uint S_IFBLK = 0x6000;
    internal const uint S_IFDIR = 0x4000;
    internal const uint S_IFCHR = 0x2000;
    internal const uint S_IFIFO = 0x1000;

    internal const int O_RDONLY = 0;
    internal const int O_WRONLY = 1;
    internal const int O_RDWR = 2;
    internal const int O_CREAT = 0x40;
    internal const int O_APPEND = 0x400;
    internal const int O_NONBLOCK = 0x800;
    internal const int O_NOFOLLOW = 0x20000;
    internal const int O_CLOEXEC = 0x80000;

    internal const int LOCK_EX = 2;
    internal const int LOCK_NB = 4;
    internal const int LOCK_UN = 8;

    internal const int EACCES = 13;
    internal const int EROFS = 30;
    internal const int EWOULDBLOCK = 11;
    internal const int ELOOP = 40;

    /// <summary>Bytes reserved for a struct stat (x86_64: 144, generic 64-bit ABI: 128).</summary>
    private const int StatSize = 256;

    [LibraryImport(Lib, EntryPoint = "stat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatNative(string path, Span<byte> buffer);

    [LibraryImport(Lib, EntryPoint = "lstat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LStatNative(string path, Span<byte> buffer);

    [LibraryImport(Lib, EntryPoint = "fstat", SetLastError = true)]
    private static partial int FStatNative(int fd, Span<byte> buffer);

    [LibraryImport(Lib, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Open(string path, int flags, int mode = 0);

    [LibraryImport(Lib, EntryPoint = "flock", SetLastError = true)]
    internal static partial int Flock(int fd, int operation);

    [LibraryImport(Lib, EntryPoint = "pwrite", SetLastError = true)]
    internal static partial nint PWrite(int fd, ReadOnlySpan<byte> buffer, nint count, long offset);

    [LibraryImport(Lib, EntryPoint = "pread", SetLastError = true)]
    internal static partial nint PRead(int fd, Span<byte> buffer, nint count, long offset);

    /// <summary>stat(2) (<paramref name="follow"/>) or lstat(2) of <paramref name="path"/>; false (errno set) when it fails.</summary>
    internal static bool TryStat(string path, bool follow, out FileStat stat)
    {
        Span<byte> buf = stackalloc byte[StatSize];
        var ok = (follow ? StatNative(path, buf) : LStatNative(path, buf)) == 0;
        stat = ok ? Decode(buf) : default;
        return ok;
    }

    /// <summary>fstat(2) of an open descriptor; false when it fails.</summary>
    internal static bool TryFStat(int fd, out FileStat stat)
    {
        Span<byte> buf = stackalloc byte[StatSize];
        var ok = FStatNative(fd, buf) == 0;
        stat = ok ? Decode(buf) : default;
        return ok;
    }

    /// <summary>
    /// struct stat, read field by field. x86_64: st_dev(8) st_ino(8) st_nlink(8) st_mode(4) st_uid(4)
    /// st_gid(4) pad(4) st_rdev(8); the generic ABI: st_dev(8) st_ino(8) st_mode(4) st_nlink(4)
    /// st_uid(4) st_gid(4) st_rdev(8) pad(8). From st_size (offset 48) on both agree: st_size(8)
    /// st_blksize(8 or 4+4) st_blocks(8) st_atime(8) st_atime_nsec(8) st_mtime(8) st_mtime_nsec(8).
    /// </summary>
    private static FileStat Decode(ReadOnlySpan<byte> s)
    {
        var x64 = RuntimeInformation.ProcessArchitecture == Architecture.X64;
        return new FileStat(
            Dev: Read<ulong>(s, 0),
            Ino: Read<ulong>(s, 8),
            NLink: x64 ? Read<ulong>(s, 16) : Read<uint>(s, 20),
            Mode: Read<uint>(s, x64 ? 24 : 16),
            Uid: Read<uint>(s, x64 ? 28 : 24),
            Gid: Read<uint>(s, x64 ? 32 : 28),
            RDev: Read<ulong>(s, x64 ? 40 : 32),
            Size: Read<long>(s, 48),
            Blocks: Read<long>(s, 64),
            MTimeSec: Read<long>(s, 88),
            MTimeNsec: Read<long>(s, 96),
            ATimeSec: Read<long>(s, 72),
            ATimeNsec: Read<long>(s, 80));
    }

    private static T Read<T>(ReadOnlySpan<byte> s, int offset)
        where T : struct => MemoryMarshal.Read<T>(s[offset..]);
}
