using System.Management.Automation;
using GentooImage.TestSupport;

namespace GentooImage.Host.Tests;

[CollectionDefinition(nameof(EffectiveUserCollection), DisableParallelization = true)]
public sealed class EffectiveUserCollection
{
}

/// <summary>
/// NotRoot: a non-root caller is told before anything is touched. In-process because the test
/// switches this process's effective uid around the cmdlet call (so it runs alone). New-Stage3Root's
/// other errors are tested in tests/New-Stage3Root.Tests.ps1.
/// </summary>
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
