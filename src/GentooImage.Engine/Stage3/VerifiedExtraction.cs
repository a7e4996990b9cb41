using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Stage3;

/// <summary>
/// Extracts a stage3 into a staging tree and checks its hashes at the same time (the hashes are a few
/// seconds of CPU beside tens of seconds of decompression, so they no longer run first, in series).
/// A failed hash check stops the extraction and is the error reported (it explains any extraction
/// error too). The staging tree is the caller's to publish or remove: nothing here reaches the root.
/// </summary>
internal static class VerifiedExtraction
{
    /// <summary>Returns the number of entries and the SHA512 (null when <paramref name="hashes"/> is null: -Verification None).</summary>
    public static async Task<(long Entries, string? Sha512)> RunAsync(
        string tarball, TarballHashCheck? hashes, string tree, ArchiveEntryGuard guard, IProcessRunner runner, OperationContext ctx)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ctx.Cancellation);
        var extractCtx = new OperationContext(stop.Token, ctx.Progress, ctx.Verbose, ctx.Warning, ctx.Information);
        var extract = new Stage3Extractor(runner).ExtractAsync(tarball, tree, extractCtx, guard);
        string? sha512 = null;
        if (hashes is not null)
        {
            try
            {
                sha512 = await hashes.CheckAsync(tarball, ctx, runner).ConfigureAwait(false);
            }
            catch
            {
                stop.Cancel();
                try
                {
                    await extract.ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is GentooImageException or OperationCanceledException or IOException)
                {
                    // Stopped on purpose; the verification error is the one that counts.
                }

                throw;
            }
        }

        return (await extract.ConfigureAwait(false), sha512);
    }
}
