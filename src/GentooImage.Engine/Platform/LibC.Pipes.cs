using System.Runtime.InteropServices;

namespace GentooImage.Engine.Platform;

/// <summary>splice(2), poll(2) and the pipe-size fcntl(2): what <see cref="PipeSplice"/> needs.</summary>
internal static partial class LibC
{
    internal const int EINTR = 4;
    internal const int EAGAIN = 11;
    internal const int F_SETPIPE_SZ = 1031;
    internal const uint SPLICE_F_MOVE = 1;
    internal const uint SPLICE_F_MORE = 4;
    internal const short POLLIN = 1;
    internal const short POLLOUT = 4;

    [LibraryImport(Lib, EntryPoint = "splice", SetLastError = true)]
    internal static partial nint Splice(int fdIn, IntPtr offIn, int fdOut, IntPtr offOut, nuint len, uint flags);

    [LibraryImport(Lib, EntryPoint = "fcntl", SetLastError = true)]
    internal static partial int Fcntl(int fd, int cmd, int arg);

    [LibraryImport(Lib, EntryPoint = "poll", SetLastError = true)]
    internal static partial int Poll(ref PollFd fds, nuint nfds, int timeout);

    /// <summary>struct pollfd.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct PollFd
    {
        public int Fd;
        public short Events;
        public short REvents;
    }
}
