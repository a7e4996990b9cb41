namespace GentooImage.Engine.Platform;

/// <summary>
/// A lock file held exclusively (FileShare.None, which .NET takes as flock(LOCK_EX) on Linux), for
/// caches that one process fills while others wait. Only "another process holds it" (EWOULDBLOCK)
/// is waited out; any other failure (a missing directory, no permission) is thrown at once.
/// </summary>
public static class ExclusiveFile
{
    /// <summary>
    /// Opens <paramref name="path"/> with an exclusive lock, retrying every <paramref name="poll"/>
    /// while another process holds it. <paramref name="onWait"/> runs once, at the first wait.
    /// Throws <see cref="TimeoutException"/> after <paramref name="timeout"/>
    /// (<see cref="Timeout.InfiniteTimeSpan"/>: never) and <see cref="OperationCanceledException"/>
    /// when <paramref name="cancellation"/> fires.
    /// </summary>
    public static async Task<FileStream> WaitAsync(string path, TimeSpan timeout, TimeSpan poll, Action? onWait, CancellationToken cancellation)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        var reported = false;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException ex) when (ex.HResult == LibC.EWOULDBLOCK)
            {
                if (timeout != Timeout.InfiniteTimeSpan && waited.Elapsed >= timeout)
                {
                    throw new TimeoutException($"'{path}' was still locked by another process after {timeout.TotalMinutes:0} min.", ex);
                }

                if (!reported)
                {
                    onWait?.Invoke();
                    reported = true;
                }

                await Task.Delay(poll, cancellation).ConfigureAwait(false);
            }
        }
    }

    /// <summary><see cref="WaitAsync"/> for callers without a context (test fixtures): blocks the thread.</summary>
    public static FileStream Wait(string path, TimeSpan timeout, TimeSpan poll) =>
        WaitAsync(path, timeout, poll, null, CancellationToken.None).GetAwaiter().GetResult();
}
