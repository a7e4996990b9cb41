using System.Runtime.InteropServices;
using System.Text;

namespace GentooImage.Engine.Image;

/// <summary>lstat(2) result, the fields the image stage needs.</summary>
internal readonly record struct FileStat(ulong Dev, ulong Ino, ulong NLink, uint Mode, uint Uid, uint Gid, ulong RDev, long Size, long Blocks, long MTimeSec, long MTimeNsec, long ATimeSec, long ATimeNsec)
{
    public const uint TypeMask = 0xF000;
    public const uint Directory = 0x4000;
    public const uint Regular = 0x8000;
    public const uint Symlink = 0xA000;

    public bool IsDirectory => (Mode & TypeMask) == Directory;

    public bool IsRegular => (Mode & TypeMask) == Regular;

    public bool IsSymlink => (Mode & TypeMask) == Symlink;
}

/// <summary>
/// The libc calls that copy a tree with its metadata, for x86_64 glibc only: <see cref="StatX8664"/>
/// is x86_64's struct stat (aarch64 and the other generic-ABI architectures order st_mode and
/// st_nlink differently and would need a layout of their own). The module builds x86_64 images on
/// x86_64 hosts.
/// </summary>
internal static unsafe partial class FileCalls
{
    private const string Lib = "libc";

    [StructLayout(LayoutKind.Sequential)]
    private struct StatX8664
    {
        public ulong st_dev;
        public ulong st_ino;
        public ulong st_nlink;
        public uint st_mode;
        public uint st_uid;
        public uint st_gid;
        public int pad0;
        public ulong st_rdev;
        public long st_size;
        public long st_blksize;
        public long st_blocks;
        public long st_atime;
        public long st_atime_nsec;
        public long st_mtime;
        public long st_mtime_nsec;
        public long st_ctime;
        public long st_ctime_nsec;
        public long r0, r1, r2;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Sec;
        public long Nsec;
    }

    [LibraryImport(Lib, EntryPoint = "lstat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LStatNative(string path, out StatX8664 buf);

    [LibraryImport(Lib, EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LinkNative(string oldPath, string newPath);

    [LibraryImport(Lib, EntryPoint = "mkdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MkdirNative(string path, uint mode);

    [LibraryImport(Lib, EntryPoint = "chmod", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int ChmodNative(string path, uint mode);

    [LibraryImport(Lib, EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LChownNative(string path, uint uid, uint gid);

    [LibraryImport(Lib, EntryPoint = "mknod", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MknodNative(string path, uint mode, ulong dev);

    [LibraryImport(Lib, EntryPoint = "utimensat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int UtimensatNative(int dirfd, string path, Timespec* times, int flags);

    [LibraryImport(Lib, EntryPoint = "llistxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint LListXattrNative(string path, byte* list, nint size);

    [LibraryImport(Lib, EntryPoint = "lgetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint LGetXattrNative(string path, string name, byte* value, nint size);

    [LibraryImport(Lib, EntryPoint = "lsetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LSetXattrNative(string path, string name, byte* value, nint size, int flags);

    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;

    /// <summary>errno of EXDEV (link across file systems).</summary>
    public const int EXDEV = 18;

    public static FileStat LStat(string path)
    {
        if (LStatNative(path, out var s) != 0)
        {
            throw Error("lstat", path);
        }

        return new FileStat(s.st_dev, s.st_ino, s.st_nlink, s.st_mode, s.st_uid, s.st_gid, s.st_rdev, s.st_size, s.st_blocks, s.st_mtime, s.st_mtime_nsec, s.st_atime, s.st_atime_nsec);
    }

    public static bool TryLStat(string path, out FileStat stat)
    {
        if (LStatNative(path, out var s) != 0)
        {
            stat = default;
            return false;
        }

        stat = new FileStat(s.st_dev, s.st_ino, s.st_nlink, s.st_mode, s.st_uid, s.st_gid, s.st_rdev, s.st_size, s.st_blocks, s.st_mtime, s.st_mtime_nsec, s.st_atime, s.st_atime_nsec);
        return true;
    }

    /// <summary>link(2); returns 0 or the errno.</summary>
    public static int Link(string oldPath, string newPath) =>
        LinkNative(oldPath, newPath) == 0 ? 0 : Marshal.GetLastPInvokeError();

    public static void Mkdir(string path, uint mode)
    {
        if (MkdirNative(path, mode & 0xFFF) != 0)
        {
            throw Error("mkdir", path);
        }
    }

    public static void Chmod(string path, uint mode)
    {
        if (ChmodNative(path, mode) != 0)
        {
            throw Error("chmod", path);
        }
    }

    public static void Mknod(string path, uint mode, ulong dev)
    {
        if (MknodNative(path, mode, dev) != 0)
        {
            throw Error("mknod", path);
        }
    }

    /// <summary>Gives <paramref name="path"/> the owner, mode, xattrs and times of <paramref name="from"/>.</summary>
    public static void CopyMetadata(string from, in FileStat st, string path)
    {
        if (LChownNative(path, st.Uid, st.Gid) != 0)
        {
            throw Error("lchown", path);
        }

        if (!st.IsSymlink && ChmodNative(path, st.Mode & 0xFFF) != 0)
        {
            throw Error("chmod", path);
        }

        CopyXattrs(from, path);
        SetTimes(path, st);
    }

    public static void SetTimes(string path, in FileStat st)
    {
        var times = stackalloc Timespec[2];
        times[0] = new Timespec { Sec = st.ATimeSec, Nsec = st.ATimeNsec };
        times[1] = new Timespec { Sec = st.MTimeSec, Nsec = st.MTimeNsec };
        if (UtimensatNative(AtFdCwd, path, times, AtSymlinkNoFollow) != 0)
        {
            throw Error("utimensat", path);
        }
    }

    public static void CopyXattrs(string from, string to)
    {
        var size = LListXattrNative(from, null, 0);
        if (size <= 0)
        {
            return;
        }

        var list = new byte[size];
        fixed (byte* p = list)
        {
            size = LListXattrNative(from, p, size);
        }

        if (size <= 0)
        {
            return;
        }

        foreach (var name in Encoding.UTF8.GetString(list, 0, (int)size).Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            var vlen = LGetXattrNative(from, name, null, 0);
            if (vlen < 0)
            {
                continue;
            }

            var value = new byte[Math.Max(1, vlen)];
            fixed (byte* v = value)
            {
                vlen = LGetXattrNative(from, name, v, value.Length);
                if (vlen >= 0 && LSetXattrNative(to, name, v, vlen, 0) != 0)
                {
                    throw Error("lsetxattr " + name, to);
                }
            }
        }
    }

    private static IOException Error(string call, string path)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new IOException($"{call} '{path}': {Platform.LibC.StrError(errno)}", errno);
    }
}
