using System.Net;
using System.Net.Http.Headers;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Stage3;

/// <summary>
/// Downloads mirror files into the cache directory with HttpClient. A large file is written to
/// "&lt;name&gt;.part" and resumed with an HTTP Range request after an interruption (in this run,
/// up to <see cref="Attempts"/> times, and in the next run from the .part left behind); it becomes
/// "&lt;name&gt;" only when its length is what the server (and the pointer, when known) announced.
/// Whether the bytes are right is decided later by the DIGESTS, every time.
/// </summary>
public sealed class Stage3Downloader
{
    private static readonly HttpClient s_client = CreateClient();

    public Stage3Downloader(string cacheDirectory) => CacheDirectory = cacheDirectory;

    public string CacheDirectory { get; }

    public int Attempts { get; init; } = 3;

    /// <summary>An attempt is abandoned (and resumed) when no byte arrives for this long.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The cache path of a mirror URL: &lt;cache&gt;/&lt;host&gt;/&lt;path&gt;.</summary>
    public string CachePathOf(Uri uri)
    {
        var rel = Uri.UnescapeDataString(uri.AbsolutePath).TrimStart('/');
        var parts = rel.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || parts.Any(p => p is "." or ".."))
        {
            throw new GentooImageException(ErrorKind.InvalidArgument, $"'{uri}' does not name a file.", uri.ToString());
        }

        var host = uri.IsDefaultPort ? uri.Host : $"{uri.Host}_{uri.Port}";
        return Path.Combine(new[] { CacheDirectory, host }.Concat(parts).ToArray());
    }

    /// <summary>Downloads a small file (pointer, DIGESTS) to memory; null when the server says 404.</summary>
    public async Task<byte[]?> GetSmallAsync(Uri uri, OperationContext ctx)
    {
        try
        {
            using var response = await s_client.GetAsync(uri, HttpCompletionOption.ResponseContentRead, ctx.Cancellation).ConfigureAwait(false);
            if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone)
            {
                return null;
            }

            response.EnsureSuccessStatusCode();
            return await response.Content.ReadAsByteArrayAsync(ctx.Cancellation).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (ctx.Cancellation.IsCancellationRequested)
        {
            throw OperationContext.Cancelled("downloading " + uri, ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException)
        {
            throw Failed(uri, ex.Message, ex);
        }
    }

    /// <summary>The length the server announces for <paramref name="uri"/> (HEAD), or null.</summary>
    private async Task<long?> LengthAsync(Uri uri, OperationContext ctx)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Head, uri);
            using var response = await s_client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ctx.Cancellation).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? response.Content.Headers.ContentLength : null;
        }
        catch (OperationCanceledException ex) when (ctx.Cancellation.IsCancellationRequested)
        {
            throw OperationContext.Cancelled("checking " + uri, ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException)
        {
            throw Failed(uri, ex.Message, ex);
        }
    }

    /// <summary>False when the server answers 404/410 to a HEAD request for <paramref name="uri"/>.</summary>
    public async Task<bool> ExistsAsync(Uri uri, OperationContext ctx)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Head, uri);
            using var response = await s_client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ctx.Cancellation).ConfigureAwait(false);
            return response.StatusCode is not (HttpStatusCode.NotFound or HttpStatusCode.Gone);
        }
        catch (OperationCanceledException ex) when (ctx.Cancellation.IsCancellationRequested)
        {
            throw OperationContext.Cancelled("checking " + uri, ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException)
        {
            throw Failed(uri, ex.Message, ex);
        }
    }

    /// <summary>
    /// Makes sure the cache holds the complete file for <paramref name="uri"/> and returns its path.
    /// A cached complete file whose size matches <paramref name="expectedSize"/> is not fetched again.
    /// Throws <see cref="ErrorKind.Stage3NotFound"/> on 404, <see cref="ErrorKind.Stage3DownloadFailed"/> otherwise.
    /// </summary>
    public async Task<string> DownloadAsync(Uri uri, long? expectedSize, OperationContext ctx)
    {
        var target = CachePathOf(uri);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        if (File.Exists(target))
        {
            var have = new FileInfo(target).Length;
            long? want = expectedSize;
            if (want is null)
            {
                // No signed size (pinned build or URL): ask the server; offline, the cached copy is used.
                try
                {
                    want = await LengthAsync(uri, ctx).ConfigureAwait(false) ?? have;
                }
                catch (GentooImageException ex) when (ex.Kind == ErrorKind.Stage3DownloadFailed)
                {
                    ctx.Warning($"The mirror is unreachable ({ex.Message}); using the cached {target}, verified again now.");
                    want = have;
                }
            }

            if (want == have)
            {
                ctx.Verbose($"Using the cached {target} ({have} bytes); it is verified again before use.");
                return target;
            }
        }

        var part = target + ".part";
        string? lastError = null;
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            try
            {
                var total = await DownloadOnceAsync(uri, part, expectedSize, ctx).ConfigureAwait(false);
                if (expectedSize is { } want && total != want)
                {
                    File.Delete(part);
                    throw Failed(uri, $"the server sent {total} bytes, but the signed pointer says {want}. The mirror's copy is truncated or changed; try another -Mirror", null);
                }

                AtomicFile.Commit(part, target);
                return target;
            }
            catch (OperationCanceledException ex) when (ctx.Cancellation.IsCancellationRequested)
            {
                throw OperationContext.Cancelled("downloading " + uri, ex);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException)
            {
                lastError = ex.Message;
                ctx.Warning($"Download of {uri} was interrupted ({ex.Message}); attempt {attempt} of {Attempts}, resuming from byte {(File.Exists(part) ? new FileInfo(part).Length : 0)}.");
            }
        }

        throw Failed(uri, $"{lastError} (after {Attempts} attempts). The partial file '{part}' is kept and the next run resumes it", null);
    }

    private async Task<long> DownloadOnceAsync(Uri uri, string part, long? expectedSize, OperationContext ctx)
    {
        var have = File.Exists(part) ? new FileInfo(part).Length : 0;
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        if (have > 0)
        {
            request.Headers.Range = new RangeHeaderValue(have, null);
        }

        using var response = await s_client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ctx.Cancellation).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone)
        {
            throw new GentooImageException(ErrorKind.Stage3NotFound,
                $"The mirror has no '{uri}' (HTTP {(int)response.StatusCode}). Check -Flavor, -BuildDate and -Mirror; old builds are removed from mirrors.",
                uri.ToString());
        }

        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && have > 0)
        {
            // The .part is as long as (or longer than) the file: start over.
            File.Delete(part);
            throw new IOException("the server refused to resume (416); starting over");
        }

        if (!response.IsSuccessStatusCode)
        {
            throw Failed(uri, $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}", null);
        }

        var append = response.StatusCode == HttpStatusCode.PartialContent && response.Content.Headers.ContentRange?.From == have;
        if (!append)
        {
            have = 0;
        }

        var total = response.Content.Headers.ContentRange?.Length
            ?? (response.Content.Headers.ContentLength is { } cl ? cl + have : expectedSize ?? -1);
        await using var file = new FileStream(part, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        await using var body = await response.Content.ReadAsStreamAsync(ctx.Cancellation).ConfigureAwait(false);
        var buffer = new byte[1 << 16];
        var next = Environment.TickCount64;
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(ctx.Cancellation);
        int n;
        while (true)
        {
            stall.CancelAfter(StallTimeout);
            try
            {
                n = await body.ReadAsync(buffer, stall.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ctx.Cancellation.IsCancellationRequested)
            {
                throw new IOException($"no data for {StallTimeout.TotalSeconds:0} s");
            }

            if (n == 0)
            {
                break;
            }

            await file.WriteAsync(buffer.AsMemory(0, n), ctx.Cancellation).ConfigureAwait(false);
            have += n;
            if (Environment.TickCount64 >= next)
            {
                next = Environment.TickCount64 + 250;
                ctx.Report(new ProgressReport("Downloading stage3", $"{Path.GetFileName(part[..^5])}: {have / 1048576} of {(total > 0 ? total / 1048576 : -1)} MiB",
                    total > 0 ? (int)Math.Min(100, have * 100 / total) : -1, 3));
            }
        }

        await file.FlushAsync(ctx.Cancellation).ConfigureAwait(false);
        ctx.Report(new ProgressReport("Downloading stage3", "Done", 100, 3, Completed: true));
        if (total >= 0 && have != total)
        {
            throw new IOException($"the connection ended after {have} of {total} bytes");
        }

        return have;
    }

    private static GentooImageException Failed(Uri uri, string why, Exception? inner) =>
        new(ErrorKind.Stage3DownloadFailed, $"Downloading '{uri}' failed: {why}. Check the network and -Mirror, then run the command again (downloads resume).", uri.ToString(), inner);

    private static HttpClient CreateClient()
    {
        var handler = new SocketsHttpHandler
        {
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(30),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.ParseAdd("GentooImage/0.1 (+stage3 fetcher)");
        return client;
    }
}
