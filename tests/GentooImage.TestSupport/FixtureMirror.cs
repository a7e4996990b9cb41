using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace GentooImage.TestSupport;

/// <summary>What the fixture HTTP server does wrong for a file, on request.</summary>
public enum Misbehavior
{
    /// <summary>Serves the file correctly.</summary>
    None,
    /// <summary>Answers 404.</summary>
    NotFound,
    /// <summary>Serves only the first half, announced as the whole file (a truncated mirror copy).</summary>
    Truncate,
    /// <summary>Announces the full length, sends half of what was asked, then drops the connection.</summary>
    DropMidFile,
    /// <summary>Serves the file with one byte changed in the middle.</summary>
    Tamper,
    /// <summary>Resets the connection without answering (an unreachable mirror).</summary>
    Unreachable,
}

/// <summary>One request the fixture server answered.</summary>
public sealed record FixtureRequest(string Path, long? RangeStart, int Status);

/// <summary>A throw-away OpenPGP key made for this run.</summary>
public sealed record FixtureKey(string Name, string PrimaryFingerprint, string SigningFingerprint, string PublicKeyPath, DateTimeOffset? FakedTime = null);

/// <summary>
/// A small, signed Gentoo-like release mirror on 127.0.0.1, built per run (a few seconds, needs root):
/// <list type="bullet">
/// <item>a <see cref="FixtureRoot"/> packed with GNU tar (--xattrs --numeric-owner) and multi-block
/// xz (<c>xz -T2 --block-size=...</c>), laid out as <c>releases/amd64/autobuilds/&lt;TS&gt;/</c>
/// with <c>.DIGESTS</c> (clear-signed; BLAKE2B then SHA512 stanzas for the tarball and its
/// CONTENTS.gz, like catalyst), <c>.asc</c>, <c>.sha256</c>, <c>.CONTENTS.gz</c>, and a clear-signed
/// <c>latest-stage3-amd64-openrc.txt</c>;</item>
/// <item>throw-away keys in a temp GNUPGHOME: <see cref="Trusted"/> (certify-only primary with a
/// signing subkey, so signatures are by the subkey), <see cref="Untrusted"/>, <see cref="Expired"/>
/// and <see cref="Revoked"/>;</item>
/// <item>an HTTP/1.1 server that supports Range and can <see cref="Misbehave"/>.</item>
/// </list>
/// Dispose stops the server, kills the gpg agents of its homes and deletes everything.
/// </summary>
public sealed class FixtureMirror : IDisposable
{
    public const string Flavor = "amd64-openrc";

    private readonly ConcurrentDictionary<string, (Misbehavior Kind, int Remaining)> _rules = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<FixtureRequest> _requests = new();
    private readonly List<string> _homes = new();
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;

    private FixtureMirror(string dir)
    {
        Root = dir;
        MirrorDirectory = Path.Combine(dir, "mirror");
        GnupgHome = NewHome();
        BuildTimestamp = DateTimeOffset.UtcNow.AddDays(-2).ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        BaseUri = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _acceptLoop = Task.Run(AcceptLoop);
    }

    /// <summary>The temp directory holding everything (prefix gi-mirror-).</summary>
    public string Root { get; }

    /// <summary>The directory the server serves (the mirror's document root).</summary>
    public string MirrorDirectory { get; }

    /// <summary>The GNUPGHOME holding the fixture's secret keys.</summary>
    public string GnupgHome { get; }

    /// <summary>Pass as -Mirror.</summary>
    public Uri BaseUri { get; }

    public string BuildTimestamp { get; }

    public FixtureKey Trusted { get; private set; } = null!;

    public FixtureKey Untrusted { get; private set; } = null!;

    public FixtureKey Expired { get; private set; } = null!;

    public FixtureKey Revoked { get; private set; } = null!;

    /// <summary>All four public keys in one file: a wrong signer is then found but not trusted.</summary>
    public string AllKeysPath { get; private set; } = null!;

    public string TarballName => $"stage3-{Flavor}-{BuildTimestamp}.tar.xz";

    /// <summary>Relative to the mirror root: releases/amd64/autobuilds/&lt;TS&gt;/stage3-....tar.xz.</summary>
    public string TarballRelativePath => $"releases/amd64/autobuilds/{BuildTimestamp}/{TarballName}";

    public string TarballPath => Path.Combine(MirrorDirectory, TarballRelativePath);

    public Uri TarballUri => new(BaseUri, TarballRelativePath);

    public string PointerRelativePath => $"releases/amd64/autobuilds/latest-stage3-{Flavor}.txt";

    public string PointerPath => Path.Combine(MirrorDirectory, PointerRelativePath);

    /// <summary>Requests served so far, oldest first.</summary>
    public IReadOnlyList<FixtureRequest> Requests => _requests.ToList();

    /// <summary>Builds the root, the archive, the keys and the signed layout, and starts the server.</summary>
    public static FixtureMirror Create()
    {
        var dir = Directory.CreateTempSubdirectory("gi-mirror-").FullName;
        var mirror = new FixtureMirror(dir);
        try
        {
            mirror.Build();
            return mirror;
        }
        catch
        {
            mirror.Dispose();
            throw;
        }
    }

    /// <summary>Makes the server misbehave for paths ending with <paramref name="pathSuffix"/>, <paramref name="times"/> times.</summary>
    public void Misbehave(string pathSuffix, Misbehavior kind, int times = int.MaxValue) => _rules[pathSuffix] = (kind, times);

    /// <summary>Back to serving everything correctly; forgets the request log.</summary>
    public void Behave()
    {
        _rules.Clear();
        _requests.Clear();
    }

    /// <summary>Re-signs the DIGESTS, .asc, .sha256 and the pointer with <paramref name="key"/>.</summary>
    public void SignWith(FixtureKey key)
    {
        SignBeside(TarballPath, key);
        WritePointer(DateTimeOffset.UtcNow.AddDays(-1), key);
    }

    /// <summary>Writes the latest pointer, generated at <paramref name="generatedAt"/>, clear-signed by <paramref name="key"/> (default Trusted).</summary>
    public void WritePointer(DateTimeOffset generatedAt, FixtureKey? key = null)
    {
        var text = $"# Latest as of {generatedAt.ToString("ddd, dd MMM yyyy HH:mm:ss +0000", CultureInfo.InvariantCulture)}\n" +
                   $"# ts={generatedAt.ToUnixTimeSeconds()}\n" +
                   $"{BuildTimestamp}/{TarballName} {new FileInfo(TarballPath).Length}\n";
        ClearSign(PointerPath, text, key ?? Trusted);
    }

    /// <summary>
    /// Writes &lt;tarball&gt;.DIGESTS (BLAKE2B + SHA512 for the tarball and its CONTENTS.gz when
    /// present, clear-signed), .asc (detached) and .sha256 (clear-signed) beside any tarball.
    /// </summary>
    public void SignBeside(string tarballPath, FixtureKey? key = null)
    {
        key ??= Trusted;
        var name = Path.GetFileName(tarballPath);
        var sb = new StringBuilder();
        foreach (var file in new[] { tarballPath, tarballPath + ".CONTENTS.gz" }.Where(File.Exists))
        {
            sb.Append("# BLAKE2B HASH\n").Append(FixtureRoot.Run("b2sum", file).Split(' ')[0]).Append("  ").Append(Path.GetFileName(file)).Append('\n');
            sb.Append("# SHA512 HASH\n").Append(HashOf(file, SHA512.Create())).Append("  ").Append(Path.GetFileName(file)).Append('\n');
        }

        ClearSign(tarballPath + ".DIGESTS", sb.ToString(), key);
        ClearSign(tarballPath + ".sha256", $"# SHA256 HASH\n{HashOf(tarballPath, SHA256.Create())}  {name}\n", key);
        Gpg(key, "--armor", "--detach-sign", "--output", tarballPath + ".asc", tarballPath);
    }

    /// <summary>Packs <paramref name="sourceDirectory"/> like release engineering: GNU tar --xattrs --numeric-owner, then multi-block xz.</summary>
    public static void Pack(string sourceDirectory, string tarXzPath, string blockSize = "256KiB")
    {
        var tar = tarXzPath[..^3];
        FixtureRoot.Run("tar", "--create", "--file", tar, "--xattrs", "--xattrs-include=*.*", "--numeric-owner", "--directory", sourceDirectory, ".");
        Compress(tar, blockSize);
    }

    /// <summary>xz -T2 --block-size=... (multi-block, like release engineering's); replaces x.tar with x.tar.xz.</summary>
    public static void Compress(string tarPath, string blockSize = "256KiB") =>
        FixtureRoot.Run("xz", "-T2", $"--block-size={blockSize}", "-6", "--force", tarPath);

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            _acceptLoop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }

        foreach (var home in _homes)
        {
            try
            {
                FixtureRoot.Run("gpgconf", "--homedir", home, "--kill", "all");
            }
            catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
            }

            try
            {
                Directory.Delete(home, recursive: true);
            }
            catch (IOException)
            {
                // A socket vanished while deleting.
            }
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }

        _stop.Dispose();
    }

    private void Build()
    {
        // Keys: trusted (certify-only primary + signing subkey), untrusted, expired, revoked.
        Trusted = NewKey("GentooImage Fixture Release <releng@fixture.invalid>", subkey: true);
        Untrusted = NewKey("Mallory <mallory@fixture.invalid>", subkey: false);
        Expired = NewKey("Expired Release <expired@fixture.invalid>", subkey: false, fakedTime: DateTimeOffset.UtcNow.AddDays(-400), expire: "1d");
        Revoked = NewKey("Revoked Release <revoked@fixture.invalid>", subkey: false);
        Revoked = Revoked with { PublicKeyPath = RevokedPublicKey(Revoked) };
        AllKeysPath = Path.Combine(Root, "keys", "all.asc");
        File.WriteAllText(AllKeysPath, string.Concat(new[] { Trusted, Untrusted, Expired, Revoked }.Select(k => File.ReadAllText(k.PublicKeyPath))));

        // The archive and its companions.
        var source = Path.Combine(Root, "source-root");
        FixtureRoot.Create(source);
        Directory.CreateDirectory(Path.GetDirectoryName(TarballPath)!);
        Pack(source, TarballPath);
        var listing = FixtureRoot.Run("tar", "--list", "--verbose", "--numeric-owner", "--file", TarballPath);
        using (var gz = new GZipStream(File.Create(TarballPath + ".CONTENTS.gz"), CompressionLevel.Fastest))
        {
            gz.Write(Encoding.UTF8.GetBytes(listing));
        }

        Directory.Delete(source, recursive: true);
        SignBeside(TarballPath);
        WritePointer(DateTimeOffset.UtcNow.AddDays(-1));
    }

    private string NewHome()
    {
        var home = Directory.CreateTempSubdirectory("gi-gpgfx-").FullName;
        _homes.Add(home);
        return home;
    }

    private FixtureKey NewKey(string uid, bool subkey, DateTimeOffset? fakedTime = null, string expire = "never")
    {
        var faked = fakedTime is { } f ? new[] { "--faked-system-time", f.ToString("yyyyMMdd'T'HHmmss", CultureInfo.InvariantCulture) + "!" } : Array.Empty<string>();
        GpgRaw(faked.Concat(new[] { "--quick-gen-key", uid, "ed25519", subkey ? "cert" : "sign", expire }).ToArray());
        var primary = Fingerprints(uid)[0];
        var signing = primary;
        if (subkey)
        {
            GpgRaw("--quick-add-key", primary, "ed25519", "sign", expire);
            signing = Fingerprints(uid)[1];
        }

        Directory.CreateDirectory(Path.Combine(Root, "keys"));
        var pub = Path.Combine(Root, "keys", primary + ".asc");
        File.WriteAllText(pub, GpgRaw("--armor", "--export", primary));
        return new FixtureKey(uid, primary, signing, pub, fakedTime);
    }

    /// <summary>The public key with its revocation imported, made in a scratch home (the signing home keeps it usable).</summary>
    private string RevokedPublicKey(FixtureKey key)
    {
        var rev = File.ReadAllText(Path.Combine(GnupgHome, "openpgp-revocs.d", key.PrimaryFingerprint + ".rev"))
            .Replace(":-----BEGIN PGP PUBLIC KEY BLOCK-----", "-----BEGIN PGP PUBLIC KEY BLOCK-----", StringComparison.Ordinal);
        var scratch = NewHome();
        var revFile = Path.Combine(scratch, "key.rev");
        File.WriteAllText(revFile, rev);
        FixtureRoot.Run("gpg", "--homedir", scratch, "--batch", "--import", key.PublicKeyPath);
        FixtureRoot.Run("gpg", "--homedir", scratch, "--batch", "--import", revFile);
        var path = Path.Combine(Root, "keys", key.PrimaryFingerprint + ".revoked.asc");
        File.WriteAllText(path, FixtureRoot.Run("gpg", "--homedir", scratch, "--batch", "--armor", "--export", key.PrimaryFingerprint));
        return path;
    }

    private List<string> Fingerprints(string uid) =>
        GpgRaw("--with-colons", "--list-keys", uid).Split('\n')
            .Select(l => l.Split(':')).Where(p => p[0] == "fpr").Select(p => p[9]).ToList();

    private void ClearSign(string path, string text, FixtureKey key)
    {
        var input = path + ".in";
        File.WriteAllText(input, text);
        Gpg(key, "--clearsign", "--digest-algo", "SHA256", "--output", path, input);
        File.Delete(input);
    }

    private void Gpg(FixtureKey key, params string[] args)
    {
        var faked = key.FakedTime is { } f ? new[] { "--faked-system-time", f.AddHours(1).ToString("yyyyMMdd'T'HHmmss", CultureInfo.InvariantCulture) + "!" } : Array.Empty<string>();
        GpgRaw(faked.Concat(new[] { "--yes", "--local-user", key.SigningFingerprint + "!" }).Concat(args).ToArray());
    }

    private string GpgRaw(params string[] args) =>
        FixtureRoot.Run("gpg", new[] { "--homedir", GnupgHome, "--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", string.Empty }.Concat(args).ToArray());

    private static string HashOf(string file, HashAlgorithm algorithm)
    {
        using (algorithm)
        using (var s = File.OpenRead(file))
        {
            return Convert.ToHexString(algorithm.ComputeHash(s)).ToLowerInvariant();
        }
    }

    // ---- HTTP server ------------------------------------------------------------------------

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                using (client)
                {
                    try
                    {
                        await Serve(client).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
                    {
                        // The client went away.
                    }
                }
            });
        }
    }

    private async Task Serve(TcpClient client)
    {
        var stream = client.GetStream();
        var head = await ReadHead(stream).ConfigureAwait(false);
        if (head is null)
        {
            return;
        }

        var lines = head.Split("\r\n");
        var requestLine = lines[0].Split(' ');
        var method = requestLine[0];
        var path = Uri.UnescapeDataString(requestLine.Length > 1 ? requestLine[1].Split('?')[0] : "/").TrimStart('/');
        long? rangeStart = null;
        foreach (var l in lines.Skip(1))
        {
            if (l.StartsWith("Range:", StringComparison.OrdinalIgnoreCase))
            {
                var v = l[6..].Trim();
                if (v.StartsWith("bytes=", StringComparison.Ordinal) && v.EndsWith('-'))
                {
                    rangeStart = long.Parse(v[6..^1], CultureInfo.InvariantCulture);
                }
            }
        }

        var rule = Rule(path);
        if (rule == Misbehavior.Unreachable)
        {
            _requests.Enqueue(new FixtureRequest(path, rangeStart, 0));
            client.Client.LingerState = new LingerOption(true, 0);
            return;
        }

        var file = Path.GetFullPath(Path.Combine(MirrorDirectory, path));
        if (rule == Misbehavior.NotFound || !file.StartsWith(MirrorDirectory + "/", StringComparison.Ordinal) || !File.Exists(file))
        {
            _requests.Enqueue(new FixtureRequest(path, rangeStart, 404));
            await Write(stream, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").ConfigureAwait(false);
            return;
        }

        var content = await File.ReadAllBytesAsync(file).ConfigureAwait(false);
        if (rule == Misbehavior.Truncate)
        {
            content = content[..(content.Length / 2)];
        }
        else if (rule == Misbehavior.Tamper)
        {
            content[content.Length / 2] ^= 0x55;
        }

        var start = rangeStart is { } r && r < content.Length ? r : 0;
        var status = rangeStart is not null && start > 0 ? 206 : 200;
        if (rangeStart is { } rs && rs >= content.Length && content.Length > 0)
        {
            _requests.Enqueue(new FixtureRequest(path, rangeStart, 416));
            await Write(stream, $"HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{content.Length}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").ConfigureAwait(false);
            return;
        }

        _requests.Enqueue(new FixtureRequest(path, rangeStart, status));
        var length = content.Length - start;
        var headers = new StringBuilder();
        headers.Append(status == 206 ? "HTTP/1.1 206 Partial Content\r\n" : "HTTP/1.1 200 OK\r\n");
        headers.Append("Accept-Ranges: bytes\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n");
        headers.Append(CultureInfo.InvariantCulture, $"Content-Length: {length}\r\n");
        if (status == 206)
        {
            headers.Append(CultureInfo.InvariantCulture, $"Content-Range: bytes {start}-{content.Length - 1}/{content.Length}\r\n");
        }

        headers.Append("\r\n");
        await Write(stream, headers.ToString()).ConfigureAwait(false);
        if (method == "HEAD")
        {
            return;
        }

        if (rule == Misbehavior.DropMidFile)
        {
            await stream.WriteAsync(content.AsMemory((int)start, (int)(length / 2))).ConfigureAwait(false);
            await stream.FlushAsync().ConfigureAwait(false);
            client.Client.LingerState = new LingerOption(true, 0); // RST, like a dropped connection
            return;
        }

        await stream.WriteAsync(content.AsMemory((int)start, (int)length)).ConfigureAwait(false);
    }

    private Misbehavior Rule(string path)
    {
        foreach (var (suffix, (kind, remaining)) in _rules)
        {
            if (path.EndsWith(suffix, StringComparison.Ordinal) && remaining > 0)
            {
                _rules[suffix] = (kind, remaining == int.MaxValue ? remaining : remaining - 1);
                return kind;
            }
        }

        return Misbehavior.None;
    }

    private static async Task<string?> ReadHead(NetworkStream stream)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        while (buffer.Count < 16384)
        {
            if (await stream.ReadAsync(one).ConfigureAwait(false) == 0)
            {
                return null;
            }

            buffer.Add(one[0]);
            var n = buffer.Count;
            if (n >= 4 && buffer[n - 4] == '\r' && buffer[n - 3] == '\n' && buffer[n - 2] == '\r' && buffer[n - 1] == '\n')
            {
                return Encoding.ASCII.GetString(buffer.ToArray(), 0, n - 4);
            }
        }

        return null;
    }

    private static Task Write(Stream s, string text) => s.WriteAsync(Encoding.ASCII.GetBytes(text)).AsTask();
}
