using System.IO.Pipes;
using System.Runtime.InteropServices;

namespace GentooImage.Engine.Platform;

/// <summary>
/// Moves bytes from one pipe to another inside the kernel with splice(2): a relay that must look at
/// only some of what passes through it (the stage3 header guard reads each tar header, not the file
/// data behind it) forwards the rest without copying it into the process and out again.
/// </summary>
public sealed class PipeSplice
{
    private readonly int _from;
    private readonly int _to;

    private PipeSplice(int from, int to)
    {
        _from = from;
        _to = to;
    }

    /// <summary>Bytes moved so far.</summary>
    public long Moved { get; private set; }

    /// <summary>
    /// A splicer from <paramref name="source"/> to <paramref name="sink"/> when both are pipes (the
    /// standard streams of a child process are); null otherwise (files, memory), where the caller copies.
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

            if (errno == LibC.EAGAIN)
            {
                // A non-blocking end: wait until both sides can move (no time limit, like a blocking read).
                Wait(_from, LibC.POLLIN);
                Wait(_to, LibC.POLLOUT);
                continue;
            }

            throw new IOException("splice: " + LibC.StrError(errno), errno);
        }
    }

    private static void Wait(int fd, short events)
    {
        var p = new LibC.PollFd { Fd = fd, Events = events };
        while (LibC.Poll(ref p, 1, -1) < 0 && Marshal.GetLastPInvokeError() == LibC.EINTR)
        {
        }
    }

    private static int? PipeFd(Stream s)
    {
        var fd = s switch
        {
            PipeStream p => (int)p.SafePipeHandle.DangerousGetHandle(),
            FileStream f => (int)f.SafeFileHandle.DangerousGetHandle(),
            _ => -1,
        };
        return fd >= 0 && LibC.TryFStat(fd, out var st) && (st.Mode & LibC.S_IFMT) == LibC.S_IFIFO ? fd : null;
    }
}
