using System.Diagnostics;
using System.Text;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Stage3;

/// <summary>
/// New-Stage3Root's engine: resolve a stage3 (<see cref="PlanAsync"/>), then fetch, verify and
/// extract it into a build root (<see cref="InstallAsync"/>). Trust is decided here: with
/// <see cref="Stage3Verification.Full"/> nothing is extracted unless the DIGESTS carry a good
/// signature by a trusted key and both hashes match, re-checked on every run, cached or not.
/// </summary>
public sealed class Stage3Installer
{
    private const string Step = "New-Stage3Root";
    private readonly IProcessRunner _runner;
    private readonly OpenPgpVerifier _pgp;

    public Stage3Installer(IProcessRunner? runner = null)
    {
        _runner = runner ?? ProcessRunner.Instance;
        _pgp = new OpenPgpVerifier(_runner);
    }

    /// <summary>
    /// Checks the request (root privileges when <paramref name="requireRoot"/>, root directory
    /// empty or -Force) and resolves what would be fetched. Changes nothing on disk.
    /// </summary>
    public async Task<Stage3Plan> PlanAsync(Stage3Request request, OperationContext ctx, bool requireRoot = true)
    {
        if (requireRoot)
        {
            Privilege.RequireRoot(Step, "extracting a stage3 must keep numeric owners, device nodes and file capabilities");
        }

        // Symlinks in -Path are resolved first: the checks below (system directories, mounts, emptiness)
        // and -Force's clearing must all see the directory that will really be written.
        if (Path.IsPathRooted(request.RootPath))
        {
            request = request with { RootPath = PathInRoot.RealPath(Path.GetFullPath(request.RootPath)) };
        }

        Validate(request);
        CheckRootDirectory(request);
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
            var tmp = Path.Combine(Leftovers.CreateTempDirectory("gi-ptr-"), "latest.txt");
            try
            {
                await File.WriteAllBytesAsync(tmp, bytes, ctx.Cancellation).ConfigureAwait(false);
                var keyring = await ResolveKeyringAsync(request, downloader, ctx).ConfigureAwait(false);
                var (verdict, signed) = await _pgp.VerifyClearSignedAsync(tmp, keyring, request.TrustedFingerprints, ctx.Cancellation).ConfigureAwait(false);
                if (!verdict.IsGood || signed is null)
                {
                    throw SignatureInvalid(pointerUri.AbsoluteUri, verdict);
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

    /// <summary>Fetches, verifies and extracts the planned stage3, and returns the saved BuildRoot.</summary>
    public async Task<BuildRoot> InstallAsync(Stage3Plan plan, OperationContext ctx)
    {
        Privilege.RequireRoot(Step, "extracting a stage3 must keep numeric owners, device nodes and file capabilities");
        var request = plan.Request;
        RemoveLeftovers(_runner, ctx);
        CheckRootDirectory(request);
        var start = DateTimeOffset.UtcNow;
        var watch = Stopwatch.StartNew();
        var downloader = new Stage3Downloader(request.CacheDirectory);

        // 1. DIGESTS (and the tarball) -- verified before anything is extracted.
        var (digests, signer) = await GetDigestsAsync(plan, downloader, ctx).ConfigureAwait(false);
        var tarball = plan.IsRemote
            ? await downloader.DownloadAsync(new Uri(plan.Source), plan.ExpectedSize, ctx).ConfigureAwait(false)
            : plan.Source;
        var size = new FileInfo(tarball).Length;
        string? sha512 = null;
        if (digests is not null)
        {
            sha512 = await CheckDigestsAsync(plan, tarball, digests, ctx).ConfigureAwait(false);
        }

        // 2. Extract into a fresh root; on any failure remove what was created.
        var created = !Directory.Exists(request.RootPath);
        if (created)
        {
            Directory.CreateDirectory(request.RootPath);
        }
        else if (request.Force)
        {
            ctx.Verbose($"-Force: removing the current content of {request.RootPath}.");
            RootDirectory.Clear(request.RootPath);
        }

        var stage3 = new Stage3Info
        {
            FileName = plan.FileName,
            Flavor = plan.Flavor,
            BuildTimestamp = plan.BuildTimestamp,
            Size = size,
            Sha512 = sha512,
            Verification = request.Verification switch
            {
                Stage3Verification.Full => VerificationResult.SignatureAndDigest,
                Stage3Verification.DigestOnly => VerificationResult.DigestOnly,
                _ => VerificationResult.NotVerified,
            },
            SignerFingerprint = signer,
            Source = plan.Source,
        };

        long entries;
        try
        {
            // Marked before the first byte is extracted: a run killed from here on leaves a root that
            // Get-BuildRoot shows as Incomplete and the other cmdlets refuse, until -Force replaces it.
            BuildRootStore.Save(new BuildRoot(request.RootPath) { State = BuildRootState.Incomplete, Stage3 = stage3 });
            ctx.Verbose($"Extracting {tarball} into {request.RootPath}: xz -dc -T0 | tar {string.Join(' ', Stage3Extractor.TarArguments(request.RootPath))}");
            entries = await new Stage3Extractor(_runner).ExtractAsync(tarball, request.RootPath, ctx).ConfigureAwait(false);
        }
        catch
        {
            // Never leave half a root that looks complete.
            try
            {
                if (created)
                {
                    RootDirectory.Clear(request.RootPath);
                    Directory.Delete(request.RootPath);
                }
                else
                {
                    RootDirectory.Clear(request.RootPath);
                }
            }
            catch (Exception cleanup)
            {
                // Cleanup must never hide the error that made it necessary.
                ctx.Warning($"Could not fully remove the partial root {request.RootPath}: {cleanup.Message}. Remove it by hand.");
            }

            throw;
        }

        var root = new BuildRoot(request.RootPath)
        {
            State = BuildRootState.Ready,
            Stage3 = stage3 with { ExtractedAt = DateTimeOffset.UtcNow },
        };
        var data = new Dictionary<string, string>
        {
            ["Source"] = plan.Source,
            ["Entries"] = entries.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Verification"] = request.Verification.ToString(),
        };
        if (sha512 is not null)
        {
            data["Sha512"] = sha512;
        }

        if (signer is not null)
        {
            data["Signer"] = signer;
        }

        if (plan.Age is { } age)
        {
            data["AgeDays"] = age.TotalDays.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
        }

        root.AddHistory(new HistoryEntry
        {
            Step = Step,
            Start = start,
            Duration = watch.Elapsed,
            Outcome = StepOutcome.Succeeded,
            Detail = $"Extracted {plan.FileName} ({entries} entries, {request.Verification} verification)",
            Data = data,
        });
        BuildRootStore.Save(root);
        return root;
    }

    private async Task<(Stage3Digests? Digests, string? Signer)> GetDigestsAsync(Stage3Plan plan, Stage3Downloader downloader, OperationContext ctx)
    {
        var request = plan.Request;
        if (request.Verification == Stage3Verification.None)
        {
            ctx.Warning($"VERIFICATION IS OFF (-Verification None): {plan.FileName} is extracted without checking its signature or digests. Anyone who could change the file or the mirror controls this root.");
            return (null, null);
        }

        string digestsFile;
        if (plan.IsRemote)
        {
            var uri = new Uri(plan.DigestsSource);
            var cached = downloader.CachePathOf(uri);
            byte[]? bytes;
            try
            {
                bytes = await downloader.GetSmallAsync(uri, ctx).ConfigureAwait(false);
            }
            catch (GentooImageException ex) when (ex.Kind == ErrorKind.Stage3DownloadFailed && File.Exists(cached))
            {
                ctx.Warning($"The mirror is unreachable ({ex.Message}); using the cached {cached}, verified again now.");
                bytes = await File.ReadAllBytesAsync(cached, ctx.Cancellation).ConfigureAwait(false);
            }

            if (bytes is null)
            {
                if (!await downloader.ExistsAsync(new Uri(plan.Source), ctx).ConfigureAwait(false))
                {
                    throw new GentooImageException(ErrorKind.Stage3NotFound,
                        $"The mirror has no '{plan.Source}'. Check -Flavor, -BuildDate and -Mirror; old builds are removed from mirrors.",
                        plan.Source);
                }

                throw DigestsMissing(plan.DigestsSource);
            }

            Directory.CreateDirectory(Path.GetDirectoryName(cached)!);
            await File.WriteAllBytesAsync(cached, bytes, ctx.Cancellation).ConfigureAwait(false);
            digestsFile = cached;
        }
        else
        {
            digestsFile = File.Exists(plan.DigestsSource) ? plan.DigestsSource
                : File.Exists(plan.Source + ".DIGESTS.asc") ? plan.Source + ".DIGESTS.asc"
                : throw DigestsMissing(plan.DigestsSource);
        }

        string payload;
        string? signer = null;
        if (request.Verification == Stage3Verification.Full)
        {
            var keyring = await ResolveKeyringAsync(request, downloader, ctx).ConfigureAwait(false);
            var (verdict, signed) = await _pgp.VerifyClearSignedAsync(digestsFile, keyring, request.TrustedFingerprints, ctx.Cancellation).ConfigureAwait(false);
            if (!verdict.IsGood || signed is null)
            {
                throw SignatureInvalid(plan.DigestsSource, verdict);
            }

            ctx.Verbose($"{Path.GetFileName(digestsFile)}: good signature by {verdict.SigningKeyFingerprint} (primary key {verdict.PrimaryKeyFingerprint}).");
            signer = verdict.PrimaryKeyFingerprint;
            payload = signed;
        }
        else
        {
            ctx.Warning($"Signatures are NOT checked (-Verification DigestOnly): the hashes of {plan.FileName} are compared with a DIGESTS file nobody vouched for.");
            payload = await File.ReadAllTextAsync(digestsFile, ctx.Cancellation).ConfigureAwait(false);
        }

        try
        {
            return (Stage3Digests.Parse(payload), signer);
        }
        catch (FormatException ex)
        {
            throw new GentooImageException(ErrorKind.Stage3DigestsMissing, $"'{plan.DigestsSource}' is not a DIGESTS file: {ex.Message}", plan.DigestsSource, ex);
        }
    }

    private async Task<string> CheckDigestsAsync(Stage3Plan plan, string tarball, Stage3Digests digests, OperationContext ctx)
    {
        string? wantSha, wantB2;
        try
        {
            wantSha = digests.Find(Stage3Digests.Sha512, plan.FileName);
            wantB2 = digests.Find(Stage3Digests.Blake2b, plan.FileName);
        }
        catch (FormatException ex)
        {
            // Two different hashes for one file: the DIGESTS contradict themselves.
            throw new GentooImageException(ErrorKind.Stage3DigestMismatch,
                $"'{plan.DigestsSource}' is inconsistent: {ex.Message}. Nothing was extracted; get the files from another mirror.", plan.DigestsSource, ex);
        }

        if (wantSha is null)
        {
            throw new GentooImageException(ErrorKind.Stage3DigestsMissing,
                $"'{plan.DigestsSource}' has no SHA512 hash for '{plan.FileName}'. It belongs to another file; get the matching .DIGESTS.",
                plan.DigestsSource);
        }

        var (sha, b2) = await FileDigests.ComputeAsync(tarball, wantB2 is not null, ctx, _runner).ConfigureAwait(false);
        var bad = new List<string>();
        if (!string.Equals(sha, wantSha, StringComparison.Ordinal))
        {
            bad.Add($"SHA512 is {sha}, the DIGESTS say {wantSha}");
        }

        if (wantB2 is not null && !string.Equals(b2, wantB2, StringComparison.Ordinal))
        {
            bad.Add($"BLAKE2B is {b2}, the DIGESTS say {wantB2}");
        }

        if (bad.Count > 0)
        {
            var cached = plan.IsRemote;
            if (cached)
            {
                File.Delete(tarball); // a bad download must not be trusted next time either
            }

            throw new GentooImageException(ErrorKind.Stage3DigestMismatch,
                $"{plan.FileName} does not match its DIGESTS: {string.Join("; ", bad)}. The file is damaged or was tampered with; nothing was extracted{(cached ? " and the cached copy was deleted — run again to download it anew" : string.Empty)}.",
                tarball);
        }

        ctx.Verbose($"{plan.FileName}: SHA512{(wantB2 is null ? string.Empty : " and BLAKE2B")} match the DIGESTS.");
        return sha;
    }

    /// <summary>-KeyringPath, else the packaged Gentoo key, else a cached copy, else fetched from keys.gentoo.org and accepted only if its fingerprint is trusted.</summary>
    private async Task<string> ResolveKeyringAsync(Stage3Request request, Stage3Downloader downloader, OperationContext ctx)
    {
        if (request.KeyringPath is { } given)
        {
            return given;
        }

        if (File.Exists(Stage3Request.SystemKeyring))
        {
            return Stage3Request.SystemKeyring;
        }

        var cached = Path.Combine(request.CacheDirectory, "keys", "release-keys.asc");
        if (File.Exists(cached))
        {
            return cached;
        }

        foreach (var fpr in request.TrustedFingerprints)
        {
            var uri = new Uri($"https://keys.gentoo.org/pks/lookup?op=get&options=mr&search=0x{SignatureVerdict.NormalizeFingerprint(fpr)}");
            ctx.Verbose($"Fetching the release key {fpr} from {uri}.");
            var bytes = await downloader.GetSmallAsync(uri, ctx).ConfigureAwait(false);
            if (bytes is null)
            {
                continue;
            }

            var tmp = cached + ".new";
            Directory.CreateDirectory(Path.GetDirectoryName(cached)!);
            await File.WriteAllBytesAsync(tmp, bytes, ctx.Cancellation).ConfigureAwait(false);
            var fprs = await _pgp.PrimaryFingerprintsAsync(tmp, ctx.Cancellation).ConfigureAwait(false);
            if (fprs.Select(SignatureVerdict.NormalizeFingerprint).Contains(SignatureVerdict.NormalizeFingerprint(fpr)))
            {
                File.Move(tmp, cached, overwrite: true);
                return cached;
            }

            File.Delete(tmp);
        }

        throw new GentooImageException(ErrorKind.Stage3SignatureInvalid,
            $"No public key for the trusted fingerprint(s) {string.Join(", ", request.TrustedFingerprints)} was found. Pass -KeyringPath with the release engineering key (https://www.gentoo.org/downloads/signatures/).",
            string.Join(",", request.TrustedFingerprints));
    }

    private static void Validate(Stage3Request request)
    {
        // The root guard's rules (the cmdlet has also checked for roots below it and taken the lock).
        HostPathPolicy.CheckBuildRoot(request.RootPath, "Path");

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

    /// <summary>Temporary directories of New-Stage3Root in /tmp: gi-gpg-&lt;owner&gt;, gi-ptr-&lt;owner&gt;.</summary>
    private static readonly System.Text.RegularExpressions.Regex s_leftovers =
        new(@"^gi-(gpg|ptr)-o[0-9]+_[0-9]+-[0-9a-f]{8}$", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>Removes what killed New-Stage3Root runs left in /tmp (their owner no longer runs).</summary>
    public static IReadOnlyList<string> RemoveLeftovers(IProcessRunner runner, OperationContext ctx) =>
        Leftovers.Sweep(Path.GetTempPath(), s_leftovers, ctx.Verbose, path =>
        {
            if (Path.GetFileName(path).StartsWith(TemporaryGnupgHome.Prefix, StringComparison.Ordinal))
            {
                TemporaryGnupgHome.KillAgent(runner, path);
            }
        });

    private static void CheckRootDirectory(Stage3Request request)
    {
        var path = request.RootPath;
        if (File.Exists(path))
        {
            throw new GentooImageException(ErrorKind.RootNotEmpty, $"'{path}' is a file, not a directory. Choose another -Path.", path);
        }

        if (!Directory.Exists(path))
        {
            return;
        }

        // The handbook's layout: the root may be a file system of its own (/mnt/gentoo on a
        // partition); only mounts below it are in the way.
        if (RootDirectory.MountsBelow(path).Count > 0)
        {
            throw new GentooImageException(ErrorKind.BuildRootBusy,
                $"File systems are mounted below '{path}'. Unmount them (Dismount-BuildFilesystems) before extracting a stage3 there.", path);
        }

        if (request.Force && RootDirectory.Entries(path).Any() && !BuildRootGuard.IsBuildRoot(PathInRoot.RealPath(path)))
        {
            throw new GentooImageException(ErrorKind.RootNotEmpty,
                $"The directory '{path}' is not empty and is not a build root (no GentooImage state, no stage3 layout), so -Force will not empty it. " +
                "Choose an empty or new directory; if its content really is disposable, empty it yourself first.", path);
        }

        if (!request.Force && RootDirectory.Entries(path).Any())
        {
            var incomplete = IsIncomplete(path);
            throw new GentooImageException(ErrorKind.RootNotEmpty,
                incomplete
                    ? $"The directory '{path}' holds an incomplete root: an earlier New-Stage3Root into it did not finish. Use -Force to replace it with the stage3."
                    : $"The directory '{path}' is not empty. Choose an empty or new directory, or use -Force to replace its content with the stage3.",
                path);
        }
    }

    private static bool IsIncomplete(string path)
    {
        try
        {
            return BuildRootStore.Load(path).State == BuildRootState.Incomplete;
        }
        catch (GentooImageException)
        {
            return false;
        }
    }

    private static GentooImageException SignatureInvalid(string what, SignatureVerdict verdict) =>
        new(ErrorKind.Stage3SignatureInvalid,
            $"The OpenPGP signature of '{what}' is not acceptable: {verdict.Reason}. Nothing was extracted. Check -TrustedFingerprint and -KeyringPath, or get the files from another mirror.",
            what);

    private static GentooImageException DigestsMissing(string where) =>
        new(ErrorKind.Stage3DigestsMissing,
            $"No DIGESTS file at '{where}'. Put the .DIGESTS file beside the tarball (it is published next to it), or use -Verification None to skip verification (not recommended).",
            where);
}

/// <summary>
/// Empties a root directory without following symlinks; refuses while anything is mounted below it.
/// When the root is a mount point of its own, its top-level <c>lost+found</c> (mkfs made it, e2fsck
/// needs it) is kept and does not count as content.
/// </summary>
internal static class RootDirectory
{
    public static void Clear(string root)
    {
        if (MountsBelow(root).Count > 0)
        {
            throw new GentooImageException(ErrorKind.BuildRootBusy,
                $"File systems are mounted below '{root}'; it was not emptied. Unmount them first.", root);
        }

        foreach (var entry in Entries(root))
        {
            Remove(entry);
        }
    }

    /// <summary>Mounts strictly below <paramref name="root"/> (the root's own mount is not one).</summary>
    public static IReadOnlyList<MountEntry> MountsBelow(string root)
    {
        var real = PathInRoot.RealPath(root).TrimEnd('/');
        return MountTable.Below(MountTable.Read(), root).Where(m => m.MountPoint != real).ToList();
    }

    /// <summary>The root's entries, without the lost+found of a root that is its own mount point.</summary>
    public static IEnumerable<FileSystemInfo> Entries(string root)
    {
        var real = PathInRoot.RealPath(root).TrimEnd('/');
        var ownMount = MountTable.Read().Any(m => m.MountPoint == real);
        return new DirectoryInfo(root).EnumerateFileSystemInfos()
            .Where(e => !(ownMount && e.Name == "lost+found" && e is DirectoryInfo && e.LinkTarget is null));
    }

    private static void Remove(FileSystemInfo entry)
    {
        if (entry is DirectoryInfo dir && entry.LinkTarget is null)
        {
            foreach (var child in dir.EnumerateFileSystemInfos())
            {
                Remove(child);
            }

            dir.Delete();
        }
        else
        {
            File.Delete(entry.FullName); // symlinks (to files or directories), files, devices, FIFOs
        }
    }
}
