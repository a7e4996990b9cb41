using GentooImage.Engine.Model;

namespace GentooImage.Host.Tests;

/// <summary>
/// The module hosted by the PowerShell SDK in another .NET process (an automation host, not pwsh):
/// it imports, and a cmdlet's output is the engine's own BuildRoot, usable by the host as that type.
/// Get-BuildRoot's behaviour itself is tested in tests/Get-BuildRoot.Tests.ps1.
/// </summary>
public sealed class GetBuildRootTests : IDisposable
{
    private readonly ModuleHost _host = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("gi-host-").FullName;

    public GetBuildRootTests() => BuildRootStore.Save(new BuildRoot(_dir));

    public void Dispose()
    {
        _host.Dispose();
        Directory.Delete(_dir, true);
    }

    [Fact]
    public void PicksUpAStoredRootByPathInANewRunspace()
    {
        var root = new BuildRoot(_dir);
        root.AddHistory(new HistoryEntry { Step = "Test", Outcome = StepOutcome.Succeeded });
        BuildRootStore.Save(root);

        var output = _host.Invoke($"Get-BuildRoot -Path '{_dir}'");
        var got = Assert.IsType<BuildRoot>(Assert.Single(output).BaseObject);
        Assert.Equal(_dir, got.Path);
        Assert.Equal("Test", Assert.Single(got.History).Step);
    }
}
