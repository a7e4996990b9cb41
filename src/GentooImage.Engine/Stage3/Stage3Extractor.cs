using System.Collections.Concurrent;
using System.Formats.Tar;
using System.Globalization;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Stage3;

/// <summary>
/// Extracts a stage3 .tar.xz exactly as the handbook's
/// <c>tar xpf stage3.tar.xz --xattrs-include='*.*' --numeric-owner -C root</c> does — GNU tar does
/// the writing — but decompresses with <c>xz -dc -T0</c> (all cores on multi-block archives) and
/// passes the stream through <see cref="ArchiveEntryGuard"/> on the way: every header is read and
/// checked BEFORE its bytes reach tar, so tar never sees an unsafe entry. The file data behind a
/// checked header goes from xz's pipe to tar's by splice(2) (<see cref="PipeSplice"/>), never
/// copied through this process; both pipes are grown to 1 MiB. One decompression pass, no second
/// listing pass. Cleaning up after a failure is the caller's job (it knows whether the
/// root existed before).
/// </summary>
public sealed class Stage3Extractor
{
    private static readonly byte[] s_xzMagic = { 0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00 };
    private readonly IProcessRunner _runner;
    private PipeSplice? _splice;

    public Stage3Extractor(IProcessRunner? runner = null) => _runner = runner ?? ProcessRunner.Instance;

    /// <summary>Bytes of file data the last extraction moved from xz to tar by splice(2), unread by this process.</summary>
    internal long SplicedBytes => _splice?.Moved ?? 0;

    /// <summary>The tar arguments; the same flags as the handbook's command.</summary>
    public static IReadOnlyList<string> TarArguments(string root) =>
        new[] { "--extract", "--file=-", "--preserve-permissions", "--xattrs", "--xattrs-include=*.*", "--numeric-owner", "--directory", root };

    /// <summary>
    /// Extracts <paramref name="archive"/> into the existing directory <paramref name="root"/>; returns
    /// the number of entries. <paramref name="guard"/> (default: a new one) is the header check, so
    /// the caller can ask it afterwards what it saw.
    /// </summary>
    public async Task<long> ExtractAsync(string archive, string root, OperationContext ctx, ArchiveEntryGuard? guard = null)
    {
        RequireXz(archive);
        var total = await UncompressedSizeAsync(archive, ctx).ConfigureAwait(false);
        guard ??= new ArchiveEntryGuard();
        var tarErrors = new ConcurrentQueue<string>();
        var tarSpec = new ProcessSpec("tar", TarArguments(root))
        {
            CaptureOutput = false,
            Environment = new Dictionary<string, string?> { ["LC_ALL"] = "C" },
            OnStderr = l =>
            {
                if (tarErrors.Count < 50)
                {
                    tarErrors.Enqueue(l);
                }
            },
            StandardInputWriter = async (tarIn, ct) =>
            {
                var xzErrors = new ConcurrentQueue<string>();
                var xzSpec = new ProcessSpec("xz", "--decompress", "--stdout", "--threads=0", "--", archive)
                {
                    CaptureOutput = false,
                    OnStderr = xzErrors.Enqueue,
                    StandardOutputReader = (xzOut, ct2) => Task.Run(() => Pump(xzOut, tarIn, guard, total, ctx), ct2),
                };
                var xz = await _runner.RunAsync(xzSpec, ct).ConfigureAwait(false);
                if (!xz.Succeeded)
                {
                    throw new GentooImageException(ErrorKind.ToolFailed,
                        $"xz could not decompress '{archive}' (exit code {xz.ExitCode}): {string.Join(" ", xzErrors)}. The file is damaged; delete it from the cache and try again.",
                        archive);
                }
            },
        };

        ProcessResult tar;
        try
        {
            tar = await _runner.RunAsync(tarSpec, ctx.Cancellation).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw TarFailed(root, -1, tarErrors, ex);
        }
        catch (OperationCanceledException ex)
        {
            throw OperationContext.Cancelled("extracting " + archive, ex);
        }

        if (!tar.Succeeded)
        {
            throw TarFailed(root, tar.ExitCode, tarErrors, null);
        }

        ctx.Report(new ProgressReport("Extracting stage3", "Done", 100, 1, Completed: true));
        return guard.Count;
    }

    private static GentooImageException TarFailed(string root, int exitCode, IEnumerable<string> stderr, Exception? inner) =>
        new(ErrorKind.ToolFailed,
            $"tar failed extracting into '{root}'{(exitCode >= 0 ? $" (exit code {exitCode.ToString(CultureInfo.InvariantCulture)})" : string.Empty)}: {string.Join(" ", stderr.Take(10))}. Check free space and that the file system supports xattrs, owners and device nodes.",
            root,
            inner);

    private static void RequireXz(string archive)
    {
        Span<byte> head = stackalloc byte[6];
        using (var f = File.OpenRead(archive))
        {
            if (f.ReadAtLeast(head, 6, throwOnEndOfStream: false) < 6 || !head.SequenceEqual(s_xzMagic))
            {
                throw new GentooImageException(ErrorKind.InvalidArgument,
                    $"'{archive}' is not an xz-compressed file. Stage3 tarballs are .tar.xz; pass the .tar.xz file.",
                    archive);
            }
        }
    }

    /// <summary>Uncompressed size from the xz index (cheap: the index sits at the end), or -1.</summary>
    internal async Task<long> UncompressedSizeAsync(string archive, OperationContext ctx)
    {
        try
        {
            var r = await _runner.RunAsync(new ProcessSpec("xz", "--robot", "--list", "--", archive), ctx.Cancellation).ConfigureAwait(false);
            var totals = r.StandardOutput.Split('\n').FirstOrDefault(l => l.StartsWith("totals\t", StringComparison.Ordinal))?.Split('\t');
            return totals is { Length: > 4 } && long.TryParse(totals[4], NumberStyles.None, CultureInfo.InvariantCulture, out var size) ? size : -1;
        }
        catch (GentooImageException ex) when (ex.Kind != ErrorKind.OperationCancelled)
        {
            return -1;
        }
    }

    /// <summary>Reads the tar stream, checks each header before forwarding it, forwards the data as it comes.</summary>
    private void Pump(Stream xzOut, Stream tarIn, ArchiveEntryGuard guard, long total, OperationContext ctx)
    {
        var gate = new GatedStream(xzOut, tarIn);
        var splice = PipeSplice.TryCreate(xzOut, tarIn);
        splice?.Grow(1 << 20);
        _splice = splice;
        var next = Environment.TickCount64;
        using (var reader = new TarReader(gate, leaveOpen: true))
        {
            while (true)
            {
                ctx.Cancellation.ThrowIfCancellationRequested();
                gate.Passing = false;
                TarEntry? entry;
                try
                {
                    entry = reader.GetNextEntry(copyData: false);
                }
                catch (Exception ex) when (ex is InvalidDataException or FormatException or EndOfStreamException)
                {
                    throw new GentooImageException(ErrorKind.UnsafeArchiveEntry,
                        $"The archive is malformed after {guard.Count} entries ({ex.Message}); nothing more was extracted. Get the stage3 again.",
                        $"entry #{guard.Count + 1}",
                        ex);
                }

                if (gate.Owed != 0)
                {
                    // The reader did not skip the spliced data by reading it: it would now be parsing
                    // the zeros it was owed as headers. Stop before tar is handed anything else.
                    throw new InvalidOperationException($"The tar reader left {gate.Owed} spliced bytes unskipped after entry #{guard.Count}.");
                }

                if (entry is null)
                {
                    break;
                }

                guard.Check(entry);
                gate.Release();
                gate.Passing = true;
                if (splice is not null && IsPlainData(entry))
                {
                    // The file's data and its padding to the next 512-byte block: checked by nobody, so
                    // moved pipe to pipe in the kernel. The reader skips them without reading (Credit).
                    var span = (entry.Length + 511) & ~511L;
                    try
                    {
                        splice.Move(span);
                    }
                    catch (EndOfStreamException ex)
                    {
                        throw new GentooImageException(ErrorKind.UnsafeArchiveEntry,
                            $"The archive ends inside entry #{guard.Count} ('{entry.Name}'); nothing more was extracted. Get the stage3 again.",
                            entry.Name,
                            ex);
                    }

                    gate.Credit(span);
                }
                else
                {
                    entry.DataStream?.CopyTo(Stream.Null, 1 << 16);
                }

                if (Environment.TickCount64 >= next)
                {
                    next = Environment.TickCount64 + 250;
                    ctx.Report(new ProgressReport("Extracting stage3", entry.Name,
                        total > 0 ? (int)Math.Min(99, gate.Position * 100 / total) : -1, 1));
                }
            }
        }

        // End of archive: hand tar the end blocks, nothing after them, then let xz finish.
        gate.Release();
        tarIn.Flush();
        tarIn.Close();
        xzOut.CopyTo(Stream.Null);
    }

    /// <summary>
    /// Whether the reader will skip exactly <see cref="TarEntry.Length"/> bytes plus padding after
    /// <paramref name="entry"/>: a regular file whose data it has not touched and whose data stream
    /// is the plain window over the archive. Anything else (no data, or a type whose data the reader
    /// might interpret) goes through this process as before.
    /// </summary>
    private static bool IsPlainData(TarEntry entry) =>
        entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile &&
        entry.Length > 0 &&
        entry.DataStream is { CanSeek: false } data &&
        data.Position == 0 &&
        data.Length == entry.Length;

    /// <summary>
    /// Reads from the decompressor. While <see cref="Passing"/> is false the bytes are held back (a
    /// header under inspection); <see cref="Release"/> hands them to tar. Bytes already moved to tar
    /// by splice are owed to the reader (<see cref="Credit"/>): when it reads them to skip them, it
    /// gets zeros and no read from the pipe.
    /// </summary>
    private sealed class GatedStream : Stream
    {
        private readonly Stream _source;
        private readonly Stream _sink;
        private readonly MemoryStream _held = new();
        private long _owed;

        public GatedStream(Stream source, Stream sink)
        {
            _source = source;
            _sink = sink;
        }

        public bool Passing { get; set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get; set; }

        public void Release()
        {
            if (_held.Length > 0)
            {
                _sink.Write(_held.GetBuffer(), 0, (int)_held.Length);
                _held.SetLength(0);
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        /// <summary>The next <paramref name="bytes"/> of the stream went to tar past this stream.</summary>
        public void Credit(long bytes) => _owed += bytes;

        /// <summary>Spliced bytes the reader has not skipped yet.</summary>
        public long Owed => _owed;

        public override int Read(Span<byte> buffer)
        {
            if (_owed > 0)
            {
                var k = (int)Math.Min(buffer.Length, _owed);
                buffer[..k].Clear();
                _owed -= k;
                Position += k;
                return k;
            }

            var n = _source.Read(buffer);
            if (n > 0)
            {
                if (Passing)
                {
                    _sink.Write(buffer[..n]);
                }
                else
                {
                    _held.Write(buffer[..n]);
                }

                Position += n;
            }

            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
