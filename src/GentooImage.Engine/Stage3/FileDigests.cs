using System.Security.Cryptography;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Stage3;

/// <summary>
/// SHA512 and BLAKE2B-512 of a file, computed concurrently. SHA512 comes from the BCL. The BCL has
/// no BLAKE2B, so it comes from <c>b2sum</c> (GNU coreutils): coreutils is on every Linux host
/// (openssl may be absent from minimal ones), b2sum's default is exactly BLAKE2b-512 as in the
/// DIGESTS, and its output needs no parsing beyond the first token. <c>openssl dgst -blake2b512</c>
/// would do the same job.
/// </summary>
public static class FileDigests
{
    public static async Task<(string Sha512, string? Blake2b)> ComputeAsync(
        string path, bool withBlake2b, OperationContext ctx, IProcessRunner? runner = null)
    {
        runner ??= ProcessRunner.Instance;
        var length = new FileInfo(path).Length;
        Task<ProcessResult>? b2 = withBlake2b
            ? runner.RunAsync(new ProcessSpec("b2sum", "--", path) { Environment = new Dictionary<string, string?> { ["LC_ALL"] = "C" } }, ctx.Cancellation)
            : null;

        var sha = Task.Run(() => Sha512Of(path, length, ctx), ctx.Cancellation);
        string sha512;
        try
        {
            sha512 = await sha.ConfigureAwait(false);
        }
        catch (OperationCanceledException ex)
        {
            throw OperationContext.Cancelled("hashing " + path, ex);
        }

        string? blake = null;
        if (b2 is not null)
        {
            var r = (await b2.ConfigureAwait(false)).EnsureSuccess(ErrorKind.ToolFailed, "b2sum");
            blake = r.StandardOutput.Split(' ', 2)[0].Trim().ToLowerInvariant();
        }

        return (sha512, blake);
    }

    private static string Sha512Of(string path, long length, OperationContext ctx)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        var buffer = new byte[1 << 20];
        long done = 0;
        var next = Environment.TickCount64;
        int n;
        while ((n = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            ctx.Cancellation.ThrowIfCancellationRequested();
            sha.AppendData(buffer, 0, n);
            done += n;
            if (Environment.TickCount64 >= next)
            {
                next = Environment.TickCount64 + 250;
                ctx.Report(new ProgressReport("Verifying stage3", $"Hashing {Path.GetFileName(path)}", length > 0 ? (int)(done * 100 / length) : -1, 2));
            }
        }

        ctx.Report(new ProgressReport("Verifying stage3", "Hashed", 100, 2, Completed: true));
        return Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
    }
}
