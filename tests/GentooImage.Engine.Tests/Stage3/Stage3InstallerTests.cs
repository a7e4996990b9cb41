using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;
using GentooImage.Engine.Stage3;
using GentooImage.TestSupport;

namespace GentooImage.Engine.Tests;

/// <summary>New-Stage3Root's engine against the fixture mirror over real HTTP, gpg, xz and tar.</summary>
public sealed class Stage3InstallerTests : IClassFixture<MirrorFixture>, IDisposable
{
    private readonly FixtureMirror _m;
    private readonly string _dir = Directory.CreateTempSubdirectory("gi-s3-").FullName;
    private readonly List<string> _warnings = new();

    public Stage3InstallerTests(MirrorFixture fixture)
    {
        _m = fixture.Mirror;
        _m.Behave();
        _m.SignWith(_m.Trusted);
    }

    private string RootPath => Path.Combine(_dir, "root");

    private string Cache => Path.Combine(_dir, "cache");

    public void Dispose() => Directory.Delete(_dir, true);

    private Stage3Request Request(Stage3Verification v = Stage3Verification.Full) => new()
    {
        RootPath = RootPath,
        Mirror = _m.BaseUri,
        Flavor = FixtureMirror.Flavor,
        CacheDirectory = Cache,
        KeyringPath = _m.AllKeysPath,
        TrustedFingerprints = new[] { _m.Trusted.PrimaryFingerprint },
        Verification = v,
    };

    private OperationContext Ctx(CancellationToken ct = default, IProgress<ProgressReport>? progress = null) =>
        new(ct, progress, warning: w => { lock (_warnings) { _warnings.Add(w); } });

    private async Task<BuildRoot> Install(Stage3Request r, OperationContext? ctx = null)
    {
        var installer = new Stage3Installer();
        ctx ??= Ctx();
        return await installer.InstallAsync(await installer.PlanAsync(r, ctx), ctx);
    }

    private async Task<GentooImageException> Fails(ErrorKind kind, Stage3Request r, OperationContext? ctx = null)
    {
        var ex = await Assert.ThrowsAsync<GentooImageException>(() => Install(r, ctx));
        Assert.True(kind == ex.Kind, $"expected {kind}, got {ex.Kind}: {ex.Message}");
        return ex;
    }

    [Fact]
    public void FixtureArchiveIsMultiBlockXzAndDigestsStartWithBlake2b()
    {
        var list = FixtureRoot.Run("xz", "--robot", "--list", _m.TarballPath);
        var totals = list.Split('\n').First(l => l.StartsWith("totals", StringComparison.Ordinal)).Split('\t');
        Assert.True(int.Parse(totals[2]) > 1, list); // blocks
        var digests = File.ReadAllText(_m.TarballPath + ".DIGESTS");
        Assert.True(digests.IndexOf("# BLAKE2B HASH", StringComparison.Ordinal) < digests.IndexOf("# SHA512 HASH", StringComparison.Ordinal));
        Assert.NotEqual(_m.Trusted.PrimaryFingerprint, _m.Trusted.SigningFingerprint);
    }

    [Fact]
    public async Task LatestFromMirrorIsVerifiedByTheSubkeyAndExtracted()
    {
        var root = await Install(Request());
        Assert.Equal(RootPath, root.Path);
        var s3 = root.Stage3!;
        Assert.Equal(_m.TarballName, s3.FileName);
        Assert.Equal(FixtureMirror.Flavor, s3.Flavor);
        Assert.Equal(_m.BuildTimestamp, s3.BuildTimestamp);
        Assert.Equal(VerificationResult.SignatureAndDigest, s3.Verification);
        Assert.Equal(_m.Trusted.PrimaryFingerprint, s3.SignerFingerprint);
        Assert.Equal(_m.TarballUri.AbsoluteUri, s3.Source);
        Assert.Equal(new FileInfo(_m.TarballPath).Length, s3.Size);
        Assert.True(File.Exists(Path.Combine(RootPath, "etc/gentoo-release")));
        Assert.Equal("New-Stage3Root", BuildRootStore.Load(RootPath).History.Single().Step);
        Assert.Empty(Directory.EnumerateFiles(Cache, "*.part", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task CachedTarballIsReverifiedEveryTimeAndATamperedCopyIsDeleted()
    {
        await Install(Request());
        var cached = Directory.EnumerateFiles(Cache, _m.TarballName, SearchOption.AllDirectories).Single();
        Directory.Delete(RootPath, true);
        _m.Behave();
        await Install(Request());
        Assert.DoesNotContain(_m.Requests, r => r.Path.EndsWith(".tar.xz", StringComparison.Ordinal)); // served from the cache

        // Same size, one byte different: the cache is trusted only after the digests match again.
        Directory.Delete(RootPath, true);
        using (var f = new FileStream(cached, FileMode.Open))
        {
            f.Position = f.Length / 2;
            var b = f.ReadByte();
            f.Position = f.Length / 2;
            f.WriteByte((byte)(b ^ 1));
        }

        await Fails(ErrorKind.Stage3DigestMismatch, Request());
        Assert.False(File.Exists(cached));
        Assert.False(Directory.Exists(RootPath));
        await Install(Request()); // downloads anew
    }

    [Fact]
    public async Task ADroppedConnectionIsResumedWithARangeRequest()
    {
        _m.Misbehave(".tar.xz", Misbehavior.DropMidFile, times: 1);
        await Install(Request());
        var tarRequests = _m.Requests.Where(r => r.Path.EndsWith(".tar.xz", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, tarRequests.Count);
        Assert.Null(tarRequests[0].RangeStart);
        Assert.True(tarRequests[1].RangeStart > 0);
        Assert.Equal(206, tarRequests[1].Status);
    }

    [Fact]
    public async Task APersistentlyFailingDownloadFailsKeepsThePartAndTheNextRunResumes()
    {
        _m.Misbehave(".tar.xz", Misbehavior.DropMidFile);
        await Fails(ErrorKind.Stage3DownloadFailed, Request());
        Assert.Single(Directory.EnumerateFiles(Cache, "*.part", SearchOption.AllDirectories));
        Assert.False(Directory.Exists(RootPath));
        _m.Behave();
        await Install(Request());
        Assert.True(_m.Requests.Single(r => r.Path.EndsWith(".tar.xz", StringComparison.Ordinal)).RangeStart > 0);
    }

    [Fact]
    public async Task ATruncatedMirrorCopyIsADownloadFailure()
    {
        _m.Misbehave(".tar.xz", Misbehavior.Truncate);
        var ex = await Fails(ErrorKind.Stage3DownloadFailed, Request());
        Assert.Contains("pointer", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATamperedTarballIsADigestMismatchAndNothingIsExtracted()
    {
        _m.Misbehave(".tar.xz", Misbehavior.Tamper);
        await Fails(ErrorKind.Stage3DigestMismatch, Request());
        Assert.False(Directory.Exists(RootPath));
    }

    [Fact]
    public async Task WhileTarRunsTheRootHoldsOnlyTheIncompleteMarkerAndTheHiddenStaging()
    {
        // The tarball is hashed while tar extracts into a 0700 staging directory inside the root;
        // only the verified tree is moved into the root, and the staging directory is gone after.
        var seen = new List<string[]>();
        var progress = new SyncProgress(p =>
        {
            if (p.Activity == "Extracting stage3" && !p.Completed && Directory.Exists(RootPath))
            {
                lock (seen)
                {
                    seen.Add(Directory.GetFileSystemEntries(RootPath).Select(e => Path.GetFileName(e)!).Order(StringComparer.Ordinal).ToArray());
                }
            }
        });
        await Install(Request() with { Stage3 = _m.TarballPath }, Ctx(progress: progress));
        Assert.NotEmpty(seen);
        Assert.All(seen, names =>
        {
            Assert.Equal(2, names.Length);
            Assert.StartsWith(Leftovers.StagingPrefix, names[0], StringComparison.Ordinal);
            Assert.Equal("var", names[1]);
        });
        Assert.True(File.Exists(Path.Combine(RootPath, "etc/portage/make.conf")));
        Assert.DoesNotContain(Directory.GetFileSystemEntries(RootPath), e => Path.GetFileName(e).StartsWith(Leftovers.StagingPrefix, StringComparison.Ordinal));
        Assert.Equal(BuildRootState.Ready, BuildRootStore.Load(RootPath).State);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WithForceARejectedOrBrokenStage3LeavesTheOldRootAsItWas(bool broken)
    {
        // -Force removes the old content only once the new stage3 is verified and extracted: a
        // tampered tarball (hash mismatch) or a broken one (xz fails half-way, no verification)
        // leaves the old root, its state included, and no staging directory.
        await Install(Request());
        File.WriteAllText(Path.Combine(RootPath, "old-content"), "x");
        var before = Directory.GetFileSystemEntries(RootPath).Order(StringComparer.Ordinal).ToArray();
        if (broken)
        {
            var half = Path.Combine(_dir, _m.TarballName);
            File.WriteAllBytes(half, File.ReadAllBytes(_m.TarballPath)[..(int)(new FileInfo(_m.TarballPath).Length / 2)]);
            await Assert.ThrowsAnyAsync<Exception>(() => Install(Request(Stage3Verification.None) with { Stage3 = half, Force = true }));
        }
        else
        {
            Directory.Delete(Cache, true); // downloaded again, tampered on the way
            _m.Misbehave(".tar.xz", Misbehavior.Tamper);
            await Fails(ErrorKind.Stage3DigestMismatch, Request() with { Force = true });
        }

        Assert.Equal(before, Directory.GetFileSystemEntries(RootPath).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(BuildRootState.Ready, BuildRootStore.Load(RootPath).State);
        Assert.True(File.Exists(Path.Combine(RootPath, "etc/portage/make.conf")));
    }

    [Fact]
    public async Task AKilledRunsStagingDirectoryIsRemovedByTheNextRun()
    {
        // What a SIGKILL during extraction leaves in an empty root: the hidden staging directory of
        // an owner that no longer runs. The next run removes it and does not count it as content.
        var dead = Path.Combine(RootPath, Leftovers.StagingPrefix + OwnerTag.Format(int.MaxValue - 1, 1) + "-0badc0de");
        Directory.CreateDirectory(Path.Combine(dead, "tree/etc"));
        File.WriteAllText(Path.Combine(dead, "tree/etc/passwd"), "x");
        await Install(Request() with { Stage3 = _m.TarballPath });
        Assert.False(Directory.Exists(dead));
        Assert.Equal(BuildRootState.Ready, BuildRootStore.Load(RootPath).State);
    }

    [Fact]
    public async Task ATamperedDigestsIsABadSignature()
    {
        _m.Misbehave(".DIGESTS", Misbehavior.Tamper);
        var ex = await Fails(ErrorKind.Stage3SignatureInvalid, Request());
        Assert.Contains("BAD", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingDigestsAreRefusedUnlessVerificationIsNone()
    {
        _m.Misbehave(".DIGESTS", Misbehavior.NotFound);
        await Fails(ErrorKind.Stage3DigestsMissing, Request());
        await Fails(ErrorKind.Stage3DigestsMissing, Request(Stage3Verification.DigestOnly));
        var root = await Install(Request(Stage3Verification.None));
        Assert.Equal(VerificationResult.NotVerified, root.Stage3!.Verification);
        Assert.Contains(_warnings, w => w.Contains("VERIFICATION IS OFF", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DigestOnlySkipsSignaturesWithAWarning()
    {
        _m.SignWith(_m.Untrusted);
        var root = await Install(Request(Stage3Verification.DigestOnly));
        Assert.Equal(VerificationResult.DigestOnly, root.Stage3!.Verification);
        Assert.Null(root.Stage3.SignerFingerprint);
        Assert.Contains(_warnings, w => w.Contains("NOT checked", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Untrusted", "not a trusted")]
    [InlineData("Expired", "EXPIRED")]
    [InlineData("Revoked", "REVOKED")]
    public async Task WrongExpiredAndRevokedSignersAreRefused(string which, string reason)
    {
        var key = which switch { "Untrusted" => _m.Untrusted, "Expired" => _m.Expired, _ => _m.Revoked };
        _m.SignWith(key);
        var ex = await Fails(ErrorKind.Stage3SignatureInvalid, Request());
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        Assert.Contains("latest-stage3", ex.Message, StringComparison.Ordinal); // the pointer is checked first
        Assert.False(Directory.Exists(RootPath));

        // The DIGESTS alone signed by the wrong key (pinned build, no pointer): refused too.
        _m.SignWith(_m.Trusted);
        _m.SignBeside(_m.TarballPath, key);
        var pinned = Request() with { BuildDate = _m.BuildTimestamp };
        ex = await Fails(ErrorKind.Stage3SignatureInvalid, pinned);
        Assert.Contains(".DIGESTS", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AKeyringWithoutTheSignerIsRefused()
    {
        var ex = await Fails(ErrorKind.Stage3SignatureInvalid, Request() with { KeyringPath = _m.Untrusted.PublicKeyPath });
        Assert.Contains("not in the keyring", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnOldPointerIsTooOldButPinnedBuildsAndLocalFilesAreExempt()
    {
        _m.WritePointer(DateTimeOffset.UtcNow.AddDays(-40));
        var ex = await Fails(ErrorKind.Stage3TooOld, Request());
        Assert.Contains("40", ex.Message, StringComparison.Ordinal);
        await Install(Request() with { MaxAgeDays = 60 });
        Directory.Delete(RootPath, true);
        await Install(Request() with { BuildDate = _m.BuildTimestamp });
        Directory.Delete(RootPath, true);
        await Install(Request() with { Stage3 = _m.TarballPath });
    }

    [Fact]
    public async Task MissingPointerOrBuildIsStage3NotFound()
    {
        await Fails(ErrorKind.Stage3NotFound, Request() with { Flavor = "amd64-nosuchflavor" });
        await Fails(ErrorKind.Stage3NotFound, Request() with { BuildDate = "20000101T000000Z" });
        await Fails(ErrorKind.Stage3NotFound, Request() with { Stage3 = Path.Combine(_dir, "missing.tar.xz") });
        Assert.False(Directory.Exists(RootPath));
    }

    [Fact]
    public async Task ANonEmptyRootIsRefusedBeforeAnyDownloadAndForceReplacesIt()
    {
        Directory.CreateDirectory(RootPath);
        File.WriteAllText(Path.Combine(RootPath, "keep-out"), "x");
        await Fails(ErrorKind.RootNotEmpty, Request());
        Assert.Empty(_m.Requests);
        Assert.True(File.Exists(Path.Combine(RootPath, "keep-out")));

        // -Force only ever replaces a build root: a directory of other data is never emptied.
        await Fails(ErrorKind.RootNotEmpty, Request() with { Force = true });
        Assert.True(File.Exists(Path.Combine(RootPath, "keep-out")));

        // Nor is another system's root file system (the wrong partition at /mnt/gentoo, a
        // container's root): os-release and an init are what every Linux root has; only
        // GentooImage's state file (New-Stage3Root made it) lets -Force empty a directory.
        Directory.CreateDirectory(Path.Combine(RootPath, "etc"));
        File.WriteAllText(Path.Combine(RootPath, "etc/os-release"), "ID=debian\n");
        Directory.CreateDirectory(Path.Combine(RootPath, "sbin"));
        File.WriteAllText(Path.Combine(RootPath, "sbin/init"), "#!/bin/sh\n");
        Directory.CreateDirectory(Path.Combine(RootPath, "home/u"));
        File.WriteAllText(Path.Combine(RootPath, "home/u/data"), "years of work");
        var ex = await Fails(ErrorKind.RootNotEmpty, Request() with { Force = true });
        Assert.Contains("state file", ex.Message, StringComparison.Ordinal);
        Assert.Equal("years of work", File.ReadAllText(Path.Combine(RootPath, "home/u/data")));

        // A symlink where the state file would be is no evidence either.
        Directory.CreateDirectory(Path.Combine(RootPath, "var/lib/gentooimage"));
        File.CreateSymbolicLink(Path.Combine(RootPath, "var/lib/gentooimage/state.json"), "/etc/hostname");
        await Fails(ErrorKind.RootNotEmpty, Request() with { Force = true });
        File.Delete(Path.Combine(RootPath, "var/lib/gentooimage/state.json"));
        Assert.Empty(_m.Requests);

        BuildRootStore.Save(new BuildRoot(RootPath));
        await Install(Request() with { Force = true });
        Assert.False(File.Exists(Path.Combine(RootPath, "keep-out")));
        Assert.True(File.Exists(Path.Combine(RootPath, "etc/portage/make.conf")));
    }

    [Fact]
    public async Task APinnedBuildInTheCacheIsReverifiedAndUsedWhileTheMirrorIsUnreachable()
    {
        var pinned = Request() with { BuildDate = _m.BuildTimestamp };
        await Install(pinned);
        Directory.Delete(RootPath, true);
        _m.Behave();
        _m.Misbehave(string.Empty, Misbehavior.Unreachable);
        var root = await Install(pinned);
        Assert.Equal(VerificationResult.SignatureAndDigest, root.Stage3!.Verification);
        Assert.Contains(_warnings, w => w.Contains("unreachable", StringComparison.Ordinal));
        Assert.All(_m.Requests, r => Assert.Equal(0, r.Status));

        // And a cached copy that no longer matches is refused offline too.
        Directory.Delete(RootPath, true);
        var cached = Directory.EnumerateFiles(Cache, _m.TarballName, SearchOption.AllDirectories).Single();
        File.AppendAllText(cached, "x");
        File.WriteAllBytes(cached, File.ReadAllBytes(cached)[..^1].Select((b, i) => i == 100 ? (byte)~b : b).ToArray());
        await Fails(ErrorKind.Stage3DigestMismatch, pinned);
    }

    [Fact]
    public async Task PlanResolvesWithoutTouchingTheDisk()
    {
        var plan = await new Stage3Installer().PlanAsync(Request(), Ctx());
        Assert.Equal(_m.TarballUri.AbsoluteUri, plan.Source);
        Assert.Equal(new FileInfo(_m.TarballPath).Length, plan.ExpectedSize);
        Assert.Equal(_m.Trusted.PrimaryFingerprint, plan.PointerSigner);
        Assert.InRange(plan.Age!.Value.TotalDays, 0.9, 1.1);
        Assert.Contains(RootPath, plan.Describe(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(RootPath));
        Assert.False(Directory.Exists(Cache));
    }

    [Fact]
    public async Task LocalFileWithDigestsBesideItWorksOffline()
    {
        var local = Path.Combine(_dir, _m.TarballName);
        File.Copy(_m.TarballPath, local);
        File.Copy(_m.TarballPath + ".DIGESTS", local + ".DIGESTS");
        var root = await Install(Request() with { Stage3 = local, Mirror = new Uri("http://127.0.0.1:9/") });
        Assert.Equal(local, root.Stage3!.Source);
        Assert.Equal(VerificationResult.SignatureAndDigest, root.Stage3.Verification);
        Assert.True(File.Exists(local)); // the user's file is never deleted
    }

    [Fact]
    public async Task CancellingDuringExtractionRemovesThePartialRoot()
    {
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress(p =>
        {
            if (p.Activity == "Extracting stage3" && !p.Completed)
            {
                cts.Cancel();
            }
        });
        var ex = await Assert.ThrowsAsync<GentooImageException>(() => Install(Request() with { Stage3 = _m.TarballPath }, Ctx(cts.Token, progress)));
        Assert.Equal(ErrorKind.OperationCancelled, ex.Kind);
        Assert.False(Directory.Exists(RootPath));
    }

    /// <summary>IProgress that runs synchronously on the reporting thread.</summary>
    private sealed class SyncProgress : IProgress<ProgressReport>
    {
        private readonly Action<ProgressReport> _a;

        public SyncProgress(Action<ProgressReport> a) => _a = a;

        public void Report(ProgressReport value) => _a(value);
    }
}
