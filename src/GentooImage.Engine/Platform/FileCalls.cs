using System.Runtime.InteropServices;
using System.Text;

namespace GentooImage.Engine.Platform;

/// <summary>
/// The libc calls that copy a tree with its metadata (link, mkdir, chmod, lchown, mknod, times,
/// xattrs), each throwing an <see cref="IOException"/> with the errno's text: New-RawDiskImage's
/// staging tree and New-Stage3Root's staging directory use them. lstat(2) and struct
/// stat are <see cref="LibC.TryStat"/>'s, the one layout the engine decodes.
/// </summary>
internal static unsafe partial class FileCalls
{
    private const string Lib = "libc";

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Sec;
        public long Nsec;
    }

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

    public static FileStat LStat(string path) =>
        LibC.TryStat(path, follow: false, out var stat) ? stat : throw Error("lstat", path);

    public static bool TryLStat(string path, out FileStat stat) => LibC.TryStat(path, follow: false, out stat);

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
        return new IOException($"{call} '{path}': {LibC.StrError(errno)}", errno);
    }
}
