using System.IO.Pipes;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace GentooImage.Engine.Platform;

/// <summary>
/// Moves bytes from one pipe to another inside the kernel with splice(2): a relay that must look at
/// only some of what passes through it (the stage3 header guard reads each tar header, not the file
/// data behind it) forwards the rest without copying it into the process and out again.
/// </summary>
internal sealed class PipeSplice
{
    private readonly SafePipeHandle _from;
    private readonly SafePipeHandle _to;

    private PipeSplice(SafePipeHandle from, SafePipeHandle to)
    {
        _from = from;
        _to = to;
    }

    /// <summary>Bytes moved so far.</summary>
    public long Moved { get; private set; }

    /// <summary>
    /// A splicer from <paramref name="source"/> to <paramref name="sink"/> when both are unbuffered
    /// pipe streams (the standard streams of a child process are); null otherwise (files, memory, or
    /// a buffered stream, whose buffer splice would bypass), where the caller copies. The handles are
    /// used as SafeHandles, so a pipe closed meanwhile fails the call instead of reaching a reused fd.
    /// </summary>
    public static PipeSplice? TryCreate(Stream source, Stream sink) =>
        PipeFd(source) is { } from && PipeFd(sink) is { } to ? new PipeSplice(from, to) : null;

    /// <summary>
    /// Asks the kernel for pipes of <paramref name="bytes"/> (capped by /proc/sys/fs/pipe-max-size):
    /// fewer wake-ups between the processes on either side. Best effort: a refusal changes nothing.
    /// </summary>
    public void Grow(int bytes)
    {
        _ = LibC.Fcntl(_from, LibC.F_SETPIPE_SZ, bytes);
        _ = LibC.Fcntl(_to, LibC.F_SETPIPE_SZ, bytes);
    }

    /// <summary>
    /// Moves exactly <paramref name="count"/> bytes; blocks until they came. Throws
    /// <see cref="EndOfStreamException"/> if the source ends first and <see cref="IOException"/> if
    /// the sink is gone (EPIPE) or the kernel refuses.
    /// </summary>
    public void Move(long count)
    {
        while (count > 0)
        {
            var n = LibC.Splice(_from, IntPtr.Zero, _to, IntPtr.Zero, (nuint)Math.Min(count, 1L << 30), LibC.SPLICE_F_MOVE | LibC.SPLICE_F_MORE);
            if (n > 0)
            {
                count -= n;
                Moved += n;
                continue;
            }

            if (n == 0)
            {
                throw new EndOfStreamException($"the pipe ended {count} bytes early");
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno == LibC.EINTR)
            {
                continue;
            }

            throw new IOException("splice: " + LibC.StrError(errno), errno);
        }
    }

    private static SafePipeHandle? PipeFd(Stream s) =>
        s is PipeStream p && !p.SafePipeHandle.IsInvalid && LibC.TryFStat((int)p.SafePipeHandle.DangerousGetHandle(), out var st) &&
        (st.Mode & LibC.S_IFMT) == LibC.S_IFIFO
            ? p.SafePipeHandle
            : null;
}
