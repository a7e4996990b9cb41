using System.Text;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Stage3;

/// <summary>
/// Resolves what New-Stage3Root would fetch: a local file, a URL, a pinned build, or the latest build
/// named by the mirror's clear-signed pointer (signature and age checked). Checks the request and the
/// root directory first; changes nothing on disk.
/// </summary>
internal sealed class Stage3Planner
{
    /// <summary>The temporary directory (in /tmp) of a signed pointer being checked: gi-ptr-&lt;owner tag&gt;.</summary>
    internal const string PointerDirectoryPrefix = "gi-ptr-";

    private readonly OpenPgpVerifier _pgp;

    public Stage3Planner(OpenPgpVerifier pgp) => _pgp = pgp;

    /// <summary>
    /// Checks the request (root privileges when <paramref name="requireRoot"/>, root directory
    /// empty or -Force) and resolves what would be fetched. Changes nothing on disk.
    /// </summary>
    public async Task<Stage3Plan> ResolveAsync(Stage3Request request, OperationContext ctx, bool requireRoot = true)
    {
        if (requireRoot)
        {
            Privilege.RequireRoot(Stage3Installer.Step, "extracting a stage3 must keep numeric owners, device nodes and file capabilities");
        }

        // The guard's rules and canonical path (HostPathPolicy.CheckBuildRoot, as BuildRootGuard.Open
        // uses them; the cmdlet has also checked for roots below it and taken the lock). Symlinks in
        // -Path are resolved first: the checks below (mounts, emptiness) and -Force's clearing must all
        // see the directory that will really be written.
        request = request with { RootPath = HostPathPolicy.CheckBuildRoot(request.RootPath, "Path") };
        Validate(request);
        RootDirectory.CheckTarget(request.RootPath, request.Force);
        if (request.Stage3 is { } given)
        {
            if (Uri.TryCreate(given, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttp || u.Scheme == Uri.UriSchemeHttps))
            {
                var name = Path.GetFileName(u.AbsolutePath);
                return new Stage3Plan
                {
                    Request = request,
                    Source = u.AbsoluteUri,
                    IsRemote = true,
                    DigestsSource = u.AbsoluteUri + ".DIGESTS",
                    FileName = name,
                    Flavor = Stage3Names.FlavorOf(name),
                    BuildTimestamp = Stage3Names.TimestampOf(name),
                    CachePath = new Stage3Downloader(request.CacheDirectory).CachePathOf(u),
                };
            }

            var local = Path.GetFullPath(given);
            if (!File.Exists(local))
            {
                throw new GentooImageException(ErrorKind.Stage3NotFound,
                    $"The stage3 file '{local}' does not exist. Pass an existing .tar.xz path, an http(s) URL, or omit -Stage3 to use the latest build from -Mirror.",
                    local);
            }

            var fileName = Path.GetFileName(local);
            return new Stage3Plan
            {
                Request = request,
                Source = local,
                DigestsSource = local + ".DIGESTS",
                FileName = fileName,
                Flavor = Stage3Names.FlavorOf(fileName),
                BuildTimestamp = Stage3Names.TimestampOf(fileName),
            };
        }

        var downloader = new Stage3Downloader(request.CacheDirectory);
        if (request.BuildDate is { } pinned)
        {
            var uri = Stage3Names.PinnedUri(request.Mirror, request.Flavor, pinned);
            return new Stage3Plan
            {
                Request = request,
                Source = uri.AbsoluteUri,
                IsRemote = true,
                DigestsSource = uri.AbsoluteUri + ".DIGESTS",
                FileName = Stage3Names.TarballName(request.Flavor, pinned),
                Flavor = request.Flavor,
                BuildTimestamp = pinned,
                CachePath = downloader.CachePathOf(uri),
            };
        }

        // Latest: the clear-signed pointer.
        var pointerUri = Stage3Names.PointerUri(request.Mirror, request.Flavor);
        ctx.Verbose($"Resolving the latest {request.Flavor} stage3 from {pointerUri}.");
        var bytes = await downloader.GetSmallAsync(pointerUri, ctx).ConfigureAwait(false)
            ?? throw new GentooImageException(ErrorKind.Stage3NotFound,
                $"The mirror has no '{pointerUri}'. Check -Flavor (e.g. amd64-openrc, amd64-systemd) and -Mirror.",
                pointerUri.AbsoluteUri);
        var text = Encoding.UTF8.GetString(bytes);
        string? signer = null;
        string payload;
        if (request.Verification == Stage3Verification.Full)
        {
            var tmp = Path.Combine(Leftovers.CreateTempDirectory(PointerDirectoryPrefix), "latest.txt");
            try
            {
                await File.WriteAllBytesAsync(tmp, bytes, ctx.Cancellation).ConfigureAwait(false);
                var keyring = await new ReleaseKeyring(_pgp).ResolveAsync(request, downloader, ctx).ConfigureAwait(false);
                var (verdict, signed) = await _pgp.VerifyClearSignedAsync(tmp, keyring, request.TrustedFingerprints, ctx.Cancellation).ConfigureAwait(false);
                if (!verdict.IsGood || signed is null)
                {
                    throw Stage3Errors.SignatureInvalid(pointerUri.AbsoluteUri, verdict);
                }

                signer = verdict.PrimaryKeyFingerprint;
                payload = signed;
            }
            finally
            {
                Directory.Delete(Path.GetDirectoryName(tmp)!, true);
            }
        }
        else
        {
            payload = text;
        }

        Stage3Pointer pointer;
        try
        {
            pointer = Stage3Pointer.Parse(payload);
        }
        catch (FormatException ex)
        {
            throw new GentooImageException(ErrorKind.Stage3NotFound, $"'{pointerUri}' is not a stage3 pointer: {ex.Message}", pointerUri.AbsoluteUri, ex);
        }

        var when = pointer.GeneratedAt ?? Stage3Names.ParseTimestamp(pointer.BuildTimestamp);
        TimeSpan? age = when is { } w ? DateTimeOffset.UtcNow - w : null;
        if (age is { } a)
        {
            ctx.Information($"Latest {request.Flavor} stage3: {pointer.RelativePath}, {pointer.Size} bytes, pointer age {a.TotalDays:0.0} days.", "stage3");
            if (a.TotalDays > request.MaxAgeDays)
            {
                throw new GentooImageException(ErrorKind.Stage3TooOld,
                    $"The latest {request.Flavor} pointer on {request.Mirror} is {a.TotalDays:0.0} days old (limit {request.MaxAgeDays}). The mirror may be stale or frozen: use another -Mirror, pin a build with -BuildDate, or raise -MaxAgeDays.",
                    pointerUri.AbsoluteUri);
            }
        }

        var tarUri = new Uri(Stage3Names.AutobuildsUri(request.Mirror, request.Flavor), pointer.RelativePath);
        return new Stage3Plan
        {
            Request = request,
            Source = tarUri.AbsoluteUri,
            IsRemote = true,
            DigestsSource = tarUri.AbsoluteUri + ".DIGESTS",
            FileName = pointer.FileName,
            Flavor = Stage3Names.FlavorOf(pointer.FileName) ?? request.Flavor,
            BuildTimestamp = pointer.BuildTimestamp,
            ExpectedSize = pointer.Size,
            Age = age,
            PointerSigner = signer,
            CachePath = downloader.CachePathOf(tarUri),
        };
    }

    private static void Validate(Stage3Request request)
    {
        HostPathPolicy.CheckCacheDirectory(request.CacheDirectory, "CacheDirectory");

        if (!Stage3Names.IsValidFlavor(request.Flavor))
        {
            throw new GentooImageException(ErrorKind.InvalidArgument, $"'{request.Flavor}' is not a flavor name (e.g. amd64-openrc).", request.Flavor);
        }

        if (request.BuildDate is { } b && !Stage3Names.IsValidBuildDate(b))
        {
            throw new GentooImageException(ErrorKind.InvalidArgument, $"-BuildDate '{b}' is not a build timestamp like 20260811T083102Z.", b);
        }

        if (request.Mirror.Scheme != Uri.UriSchemeHttp && request.Mirror.Scheme != Uri.UriSchemeHttps)
        {
            throw new GentooImageException(ErrorKind.InvalidArgument, $"-Mirror '{request.Mirror}' must be an http(s) URL.", request.Mirror.ToString());
        }

        if (request.Verification == Stage3Verification.Full && request.TrustedFingerprints.Count == 0)
        {
            throw new GentooImageException(ErrorKind.InvalidArgument, "-TrustedFingerprint is empty: with Full verification at least one key must be trusted.", null);
        }
    }
}
