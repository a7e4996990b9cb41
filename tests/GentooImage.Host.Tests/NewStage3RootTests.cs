using System.Formats.Tar;
using System.Management.Automation;
using GentooImage.Engine.Model;
using GentooImage.TestSupport;

namespace GentooImage.Host.Tests;

/// <summary>One signed fixture mirror per test class.</summary>
public sealed class HostMirrorFixture : IDisposable
{
    public FixtureMirror Mirror { get; } = FixtureMirror.Create();

    public void Dispose() => Mirror.Dispose();
}

/// <summary>New-Stage3Root through a runspace: output, -WhatIf, completion, and every ErrorId of the issue.</summary>
public sealed class NewStage3RootTests : IClassFixture<HostMirrorFixture>, IDisposable
{
    private const string Cmd = "GentooImage.Commands.NewStage3RootCommand";
    private readonly FixtureMirror _m;
    private readonly ModuleHost _host = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("gi-ns3-").FullName;

    public NewStage3RootTests(HostMirrorFixture fixture)
    {
        _m = fixture.Mirror;
        _m.Behave();
        _m.SignWith(_m.Trusted);
    }

    public void Dispose()
    {
        _host.Dispose();
        Directory.Delete(_dir, true);
    }

    private string Root => Path.Combine(_dir, "root");

    private string Common =>
        $"-Path '{Root}' -Mirror '{_m.BaseUri}' -CacheDirectory '{_dir}/cache' -KeyringPath '{_m.AllKeysPath}' -TrustedFingerprint '{_m.Trusted.PrimaryFingerprint}'";

    private void AssertErrorId(string kind, string extra = "")
    {
        var (output, errors) = _host.Run($"New-Stage3Root {Common} {extra}");
        Assert.Empty(output);
        var e = Assert.Single(errors);
        Assert.Equal($"{kind},{Cmd}", e.FullyQualifiedErrorId);
        Assert.False(Directory.Exists(Root) && kind != "RootNotEmpty", "a failed run left a root behind");
    }

    [Fact]
    public void ExtractsAVerifiedRootAndWritesABuildRoot()
    {
        var (output, errors) = _host.Run($"New-Stage3Root {Common} -InformationAction Continue");
        Assert.Empty(errors);
        var root = Assert.IsType<BuildRoot>(Assert.Single(output).BaseObject);
        Assert.Equal(VerificationResult.SignatureAndDigest, root.Stage3!.Verification);
        Assert.Equal(_m.Trusted.PrimaryFingerprint, root.Stage3.SignerFingerprint);
        Assert.True(File.Exists(Path.Combine(Root, "etc/gentoo-release")));
        var again = _host.Invoke($"Get-BuildRoot '{Root}'");
        Assert.Equal(_m.TarballName, ((BuildRoot)again[0].BaseObject).Stage3!.FileName);
        var list = string.Join("\n", _host.Invoke($"Get-BuildRoot '{Root}' | Format-List | Out-String -Width 250").Select(o => o.ToString()));
        Assert.Contains(_m.TarballName, list, StringComparison.Ordinal);
    }

    [Fact]
    public void WhatIfResolvesAndChangesNothing()
    {
        using var ps = PowerShell.Create();
        ps.Runspace = _host.Runspace;
        ps.AddScript($"New-Stage3Root {Common} -WhatIf");
        var output = ps.Invoke();
        Assert.Empty(output);
        Assert.Empty(ps.Streams.Error);
        Assert.False(Directory.Exists(Root));
        Assert.False(Directory.Exists(Path.Combine(_dir, "cache")));
        Assert.DoesNotContain(_m.Requests, r => r.Path.EndsWith(".tar.xz", StringComparison.Ordinal));
        Assert.Contains(_m.Requests, r => r.Path.EndsWith("latest-stage3-amd64-openrc.txt", StringComparison.Ordinal));
    }

    [Fact]
    public void FlavorCompletesKnownFlavors()
    {
        var result = _host.Invoke("$s = 'New-Stage3Root -Flavor amd64-sys'; (TabExpansion2 -inputScript $s -cursorColumn $s.Length).CompletionMatches.CompletionText");
        Assert.Contains("amd64-systemd", result.Select(r => r.ToString()));
        Assert.DoesNotContain("arm64-openrc", result.Select(r => r.ToString()));
    }

    [Fact]
    public void Stage3NotFound() => AssertErrorId("Stage3NotFound", "-Flavor amd64-nosuch");

    [Fact]
    public void Stage3DownloadFailed()
    {
        _m.Misbehave(".tar.xz", Misbehavior.DropMidFile);
        AssertErrorId("Stage3DownloadFailed");
    }

    [Fact]
    public void Stage3DigestMismatch()
    {
        _m.Misbehave(".tar.xz", Misbehavior.Tamper);
        AssertErrorId("Stage3DigestMismatch");
    }

    [Fact]
    public void Stage3SignatureInvalid()
    {
        _m.SignWith(_m.Expired);
        AssertErrorId("Stage3SignatureInvalid");
    }

    [Fact]
    public void Stage3TooOld()
    {
        _m.WritePointer(DateTimeOffset.UtcNow.AddDays(-10));
        AssertErrorId("Stage3TooOld", "-MaxAgeDays 5");
    }

    [Fact]
    public void Stage3DigestsMissing()
    {
        _m.Misbehave(".DIGESTS", Misbehavior.NotFound);
        AssertErrorId("Stage3DigestsMissing");
    }

    [Fact]
    public void RootNotEmpty()
    {
        Directory.CreateDirectory(Root);
        File.WriteAllText(Path.Combine(Root, "x"), "x");
        AssertErrorId("RootNotEmpty");
        Assert.Empty(_m.Requests);
    }

    [Fact]
    public void UnsafeArchiveEntry()
    {
        var tar = Path.Combine(_dir, "stage3-amd64-openrc-20260811T083102Z.tar");
        using (var w = new TarWriter(File.Create(tar), TarEntryFormat.Pax, leaveOpen: false))
        {
            w.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "./"));
            w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "./../escaped") { DataStream = new MemoryStream(new byte[] { 1 }) });
        }

        FixtureMirror.Compress(tar);
        _m.SignBeside(tar + ".xz");
        var (_, errors) = _host.Run($"New-Stage3Root {Common} -Stage3 '{tar}.xz'");
        var e = Assert.Single(errors);
        Assert.Equal($"UnsafeArchiveEntry,{Cmd}", e.FullyQualifiedErrorId);
        Assert.Equal("./../escaped", e.TargetObject);
        Assert.False(File.Exists(Path.Combine(_dir, "escaped")));
        Assert.False(Directory.Exists(Root));
    }
}

[CollectionDefinition(nameof(EffectiveUserCollection), DisableParallelization = true)]
public sealed class EffectiveUserCollection
{
}

/// <summary>NotRoot: a non-root caller is told before anything is touched (runs alone: it changes the process euid).</summary>
[Collection(nameof(EffectiveUserCollection))]
public sealed class NewStage3RootNotRootTests : IDisposable
{
    private readonly ModuleHost _host = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("gi-ns3nr-").FullName;

    public void Dispose()
    {
        _host.Dispose();
        Directory.Delete(_dir, true);
    }

    [Fact]
    public void NotRoot()
    {
        var root = Path.Combine(_dir, "root");
        (IReadOnlyList<PSObject> Output, IReadOnlyList<ErrorRecord> Errors) r;
        using (EffectiveUser.Become(65534))
        {
            r = _host.Run($"New-Stage3Root -Path '{root}' -Mirror 'http://127.0.0.1:9/' -CacheDirectory '{_dir}/cache'");
        }

        var e = Assert.Single(r.Errors);
        Assert.Equal("NotRoot,GentooImage.Commands.NewStage3RootCommand", e.FullyQualifiedErrorId);
        Assert.Contains("root", e.Exception.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(root));
        Assert.False(Directory.Exists(Path.Combine(_dir, "cache")));
    }
}
