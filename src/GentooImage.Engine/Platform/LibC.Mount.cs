using System.Runtime.InteropServices;

namespace GentooImage.Engine.Platform;

/// <summary>
/// mount(2), umount2(2) and kill(2). The engine calls the kernel directly instead of util-linux
/// mount(8): one syscall per mount (the whole Mount+Dismount cycle stays far below the 0.5 s goal),
/// the exact errno for messages, propagation changes (MS_REC|MS_SLAVE) as plain flags, and no
/// helper that might consult /etc/fstab, canonicalize paths on its own or follow symlinks we did
/// not resolve.
/// </summary>
internal static partial class LibC
{
    internal const ulong MS_RDONLY = 1;
    internal const ulong MS_NOSUID = 2;
    internal const ulong MS_NODEV = 4;
    internal const ulong MS_NOEXEC = 8;
    internal const ulong MS_NOATIME = 1024;
    internal const ulong MS_BIND = 4096;
    internal const ulong MS_REC = 16384;
    internal const ulong MS_SILENT = 32768;
    internal const ulong MS_PRIVATE = 1 << 18;
    internal const ulong MS_SLAVE = 1 << 19;
    internal const ulong MS_SHARED = 1 << 20;

    internal const int MNT_DETACH = 2;
    internal const int UMOUNT_NOFOLLOW = 8;

    internal const int EPERM = 1;
    internal const int ESRCH = 3;
    internal const int EBUSY = 16;
    internal const int EINVAL = 22;
    internal const int ENOENT = 2;

    internal const int SIGKILL = 9;
    internal const int SIGTERM = 15;

    [LibraryImport(Lib, EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MountNative(string? source, string target, string? fstype, ulong flags, string? data);

    [LibraryImport(Lib, EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Umount2Native(string target, int flags);

    [LibraryImport(Lib, EntryPoint = "kill", SetLastError = true)]
    private static partial int KillNative(int pid, int sig);

    [LibraryImport(Lib, EntryPoint = "getpid")]
    internal static partial int GetPid();

    /// <summary>mount(2); returns 0 or the errno.</summary>
    internal static int Mount(string? source, string target, string? fstype, ulong flags, string? data) =>
        MountNative(source, target, fstype, flags, data) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>umount2(2); returns 0 or the errno.</summary>
    internal static int Umount2(string target, int flags) =>
        Umount2Native(target, flags) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>kill(2); returns 0 or the errno.</summary>
    internal static int Kill(int pid, int sig) =>
        KillNative(pid, sig) == 0 ? 0 : Marshal.GetLastPInvokeError();
}
