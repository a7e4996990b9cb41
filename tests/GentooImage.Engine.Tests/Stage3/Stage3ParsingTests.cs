using GentooImage.Engine.Stage3;

namespace GentooImage.Engine.Tests;

/// <summary>Pure parsing of the latest pointer, DIGESTS and gpg status output (no tools).</summary>
public class Stage3ParsingTests
{
    private const string Pointer = """
        -----BEGIN PGP SIGNED MESSAGE-----
        Hash: SHA256

        # Latest as of Sat, 15 Aug 2026 09:15:01 +0000
        # ts=1786785301
        20260811T083102Z/stage3-amd64-openrc-20260811T083102Z.tar.xz 496363884
        -----BEGIN PGP SIGNATURE-----

        iHUEARYIAB0WIQQT67vt3noSd139sbq7Vy4OLRgpEAUCZr3aBQAKCRC7Vy4OLRgp
        EPB2AQCeE8c4z2DZ4O4o1bKg==
        =abcd
        -----END PGP SIGNATURE-----
        """;

    [Fact]
    public void PointerTakesTheSignedPayloadNotTheLastLine()
    {
        var p = Stage3Pointer.Parse(Pointer);
        Assert.Equal("20260811T083102Z/stage3-amd64-openrc-20260811T083102Z.tar.xz", p.RelativePath);
        Assert.Equal(496363884, p.Size);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1786785301), p.GeneratedAt);
        Assert.Equal("20260811T083102Z", p.BuildTimestamp);
        Assert.Equal("stage3-amd64-openrc-20260811T083102Z.tar.xz", p.FileName);
    }

    [Fact]
    public void PointerWithoutSignatureAndWithoutTsStillParses()
    {
        var p = Stage3Pointer.Parse("# comment\n20210711T170538Z/stage3-amd64-nomultilib-systemd-20210711T170538Z.tar.xz 214470580\n");
        Assert.Equal(214470580, p.Size);
        Assert.Null(p.GeneratedAt);
    }

    [Theory]
    [InlineData("../../etc/passwd 12\n")]
    [InlineData("/abs/stage3.tar.xz 12\n")]
    [InlineData("https://evil.example/stage3.tar.xz 12\n")]
    [InlineData("20260811T083102Z/stage3.tar.xz notasize\n")]
    [InlineData("# only comments\n")]
    public void BadPointersAreRejected(string text) =>
        Assert.Throws<FormatException>(() => Stage3Pointer.Parse(text));

    [Fact]
    public void TextOutsideTheSignedPartIsIgnoredAndTwoMessagesAreRefused()
    {
        var sneaky = "20990101T000000Z/evil.tar.xz 1\n" + Pointer;
        var parsed = Stage3Pointer.Parse(sneaky);
        Assert.Equal(496363884, parsed.Size);
        Assert.DoesNotContain("evil", parsed.RelativePath, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => ClearSignedMessage.ExtractPayload(Pointer + "\n" + Pointer));
        Assert.Throws<FormatException>(() => ClearSignedMessage.ExtractPayload("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nno signature\n"));
    }

    [Fact]
    public void DashEscapedLinesAreUnescaped() =>
        Assert.Equal("-- x\nplain\n", ClearSignedMessage.ExtractPayload(
            "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n- -- x\nplain\n-----BEGIN PGP SIGNATURE-----\nxx\n-----END PGP SIGNATURE-----\n"));

    private const string Digests = """
        -----BEGIN PGP SIGNED MESSAGE-----
        Hash: SHA256

        # BLAKE2B HASH
        aa11  stage3-amd64-openrc-20260811T083102Z.tar.xz
        # SHA512 HASH
        BB22  stage3-amd64-openrc-20260811T083102Z.tar.xz
        # BLAKE2B HASH
        cc33  stage3-amd64-openrc-20260811T083102Z.tar.xz.CONTENTS.gz
        # SHA512 HASH
        dd44  stage3-amd64-openrc-20260811T083102Z.tar.xz.CONTENTS.gz
        -----BEGIN PGP SIGNATURE-----
        x
        -----END PGP SIGNATURE-----
        """;

    [Fact]
    public void DigestsAreMatchedByAlgorithmAndFileNameNotPosition()
    {
        var d = Stage3Digests.Parse(Digests);
        Assert.Equal(4, d.Entries.Count);
        const string f = "stage3-amd64-openrc-20260811T083102Z.tar.xz";
        Assert.Equal("aa11", d.Find(Stage3Digests.Blake2b, f));
        Assert.Equal("bb22", d.Find(Stage3Digests.Sha512, f)); // lower-cased
        Assert.Equal("dd44", d.Find(Stage3Digests.Sha512, f + ".CONTENTS.gz"));
        Assert.Null(d.Find("SHA256", f));
        Assert.Null(d.Find(Stage3Digests.Sha512, "other.tar.xz"));
    }

    [Fact]
    public void LegacyDigestsWithBlake2b2sumHeaderAndAbsolutePathsParse()
    {
        var d = Stage3Digests.Parse("# BLAKE2 (b2sum) HASH\nabcd  /var/tmp/catalyst/builds/default/stage3-x.tar.xz.CONTENTS.gz\n# SHA512 HASH\n12ef  *stage3-x.tar.xz\n");
        Assert.Equal("abcd", d.Find(Stage3Digests.Blake2b, "stage3-x.tar.xz.CONTENTS.gz"));
        Assert.Equal("12ef", d.Find(Stage3Digests.Sha512, "stage3-x.tar.xz"));
    }

    [Fact]
    public void ConflictingDigestsForOneFileAreRefused() =>
        Assert.Throws<FormatException>(() => Stage3Digests.Parse("# SHA512 HASH\naa  f\n# SHA512 HASH\nbb  f\n").Find(Stage3Digests.Sha512, "f"));

    private const string Primary = "13EBBDBEDE7A12775DFDB1BABB572E0E2D182910";
    private const string Sub = "534E4209AB49EEE1C19D96162C44695DB9F6043D";

    private static string Status(params string[] lines) => string.Join("\n", lines.Select(l => "[GNUPG:] " + l)) + "\n";

    [Fact]
    public void SubkeySignatureOfTrustedPrimaryIsGood()
    {
        var v = SignatureVerdict.FromStatus(
            Status("NEWSIG", "KEY_CONSIDERED " + Primary + " 0", "SIG_ID x 2026-08-15 1786785301", "GOODSIG 2C44695DB9F6043D Gentoo <releng@gentoo.org>",
                $"VALIDSIG {Sub} 2026-08-15 1786785301 0 4 0 1 8 01 {Primary}", "TRUST_UNDEFINED 0 pgp"),
            new[] { "13EB BDBE DE7A 1277 5DFD  B1BA BB57 2E0E 2D18 2910" });
        Assert.True(v.IsGood, v.Reason);
        Assert.Equal(Sub, v.SigningKeyFingerprint);
        Assert.Equal(Primary, v.PrimaryKeyFingerprint);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1786785301), v.SignedAt);
    }

    [Theory]
    [InlineData("EXPKEYSIG 2C44695DB9F6043D Gentoo", "EXPIRED")]
    [InlineData("REVKEYSIG 2C44695DB9F6043D Gentoo", "REVOKED")]
    [InlineData("BADSIG 2C44695DB9F6043D Gentoo", "BAD")]
    [InlineData("ERRSIG 2C44695DB9F6043D 22 8 01 1786785301 9 -", "ERRSIG")]
    public void ExpiredRevokedBadAndUncheckableSignaturesAreRefusedEvenWithValidSig(string line, string reason)
    {
        var v = SignatureVerdict.FromStatus(Status("NEWSIG", line, $"VALIDSIG {Sub} 2026-08-15 1786785301 0 4 0 1 8 01 {Primary}"), new[] { Primary });
        Assert.False(v.IsGood);
        Assert.Contains(reason, v.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void GoodSignatureByUntrustedKeyIsRefused()
    {
        var v = SignatureVerdict.FromStatus(Status("NEWSIG", "GOODSIG 1111 Mallory", $"VALIDSIG {Sub} 2026-08-15 1786785301 0 4 0 1 8 01 {Sub}"), new[] { Primary });
        Assert.False(v.IsGood);
        Assert.Contains("not a trusted", v.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void NoStatusTwoSignaturesOrHumanTextAloneAreRefused()
    {
        Assert.False(SignatureVerdict.FromStatus("gpg: Good signature from \"Gentoo\"\n", new[] { Primary }).IsGood);
        Assert.False(SignatureVerdict.FromStatus(
            Status("NEWSIG", "GOODSIG A x", $"VALIDSIG {Sub} d 1 0 4 0 1 8 01 {Primary}", "NEWSIG", "GOODSIG B y", $"VALIDSIG {Sub} d 1 0 4 0 1 8 01 {Primary}"),
            new[] { Primary }).IsGood);
    }

    [Fact]
    public void NamesAndUrlsFollowTheMirrorLayout()
    {
        var mirror = new Uri("https://distfiles.gentoo.org");
        Assert.Equal("https://distfiles.gentoo.org/releases/amd64/autobuilds/latest-stage3-amd64-openrc.txt", Stage3Names.PointerUri(mirror, "amd64-openrc").AbsoluteUri);
        Assert.Equal("https://distfiles.gentoo.org/releases/arm64/autobuilds/20260811T083102Z/stage3-arm64-systemd-20260811T083102Z.tar.xz",
            Stage3Names.PinnedUri(new Uri("https://distfiles.gentoo.org/"), "arm64-systemd", "20260811T083102Z").AbsoluteUri);
        Assert.Equal("amd64-nomultilib-openrc", Stage3Names.FlavorOf("stage3-amd64-nomultilib-openrc-20260811T083102Z.tar.xz"));
        Assert.Contains("amd64-musl", Stage3Names.KnownFlavors);
        Assert.False(Stage3Names.IsValidBuildDate("2026-08-11"));
    }
}

public class Stage3RequestValidationTests
{
    [Theory]
    [InlineData("/")]
    [InlineData("/etc")]
    [InlineData("/usr/")]
    [InlineData("/tmp")]
    public async Task SystemDirectoriesAreNeverBuildRoots(string path)
    {
        var r = new Stage3Request { RootPath = path, CacheDirectory = "/nonexistent", Force = true, Stage3 = "/nonexistent.tar.xz" };
        var ex = await Assert.ThrowsAsync<GentooImage.Engine.Platform.GentooImageException>(() => new Stage3Installer().PlanAsync(r, GentooImage.Engine.Platform.OperationContext.None));
        Assert.Equal(GentooImage.Engine.Platform.ErrorKind.UnsafeRootPath, ex.Kind);
    }

    [Fact]
    public async Task ASymlinkToASystemDirectoryIsRefusedToo()
    {
        // -Force would otherwise empty /usr through the link.
        var dir = Directory.CreateTempSubdirectory("gi-s3link-").FullName;
        try
        {
            var link = Path.Combine(dir, "root");
            File.CreateSymbolicLink(link, "/usr");
            var r = new Stage3Request { RootPath = link, CacheDirectory = "/nonexistent", Force = true, Stage3 = "/nonexistent.tar.xz" };
            var ex = await Assert.ThrowsAsync<GentooImage.Engine.Platform.GentooImageException>(() => new Stage3Installer().PlanAsync(r, GentooImage.Engine.Platform.OperationContext.None));
            Assert.Equal(GentooImage.Engine.Platform.ErrorKind.UnsafeRootPath, ex.Kind);
            Assert.Contains("/usr", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
