using System.Runtime.InteropServices;

namespace GentooImage.Engine.Platform;

/// <summary>splice(2) and the pipe-size fcntl(2): what <see cref="PipeSplice"/> needs. Pipes are passed as SafeHandles (AddRef per call).</summary>
internal static partial class LibC
{
    internal const int EINTR = 4;
    internal const int F_SETPIPE_SZ = 1031;
    internal const uint SPLICE_F_MOVE = 1;
    internal const uint SPLICE_F_MORE = 4;

    [LibraryImport(Lib, EntryPoint = "splice", SetLastError = true)]
    internal static partial nint Splice(SafeHandle fdIn, IntPtr offIn, SafeHandle fdOut, IntPtr offOut, nuint len, uint flags);

    [LibraryImport(Lib, EntryPoint = "fcntl", SetLastError = true)]
    internal static partial int Fcntl(SafeHandle fd, int cmd, int arg);
}
