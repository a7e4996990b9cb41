using GentooImage.Engine.Model;

namespace GentooImage.Host.Tests;

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

    [Fact]
    public void AcceptsDirectoryInfoFromGetItemAndRelativePaths()
    {
        var byItem = _host.Invoke($"Get-Item '{_dir}' | Get-BuildRoot");
        Assert.Equal(_dir, ((BuildRoot)byItem[0].BaseObject).Path);
        var relative = _host.Invoke($"Set-Location '{Path.GetDirectoryName(_dir)}'; Get-BuildRoot './{Path.GetFileName(_dir)}'");
        Assert.Equal(_dir, ((BuildRoot)relative[0].BaseObject).Path);
    }

    [Fact]
    public void MissingRootIsANonTerminatingErrorWithAStableId()
    {
        var (output, errors) = _host.Run($"Get-BuildRoot '{_dir}/missing', '{_dir}'");
        Assert.Single(output);
        var error = Assert.Single(errors);
        Assert.Equal("BuildRootNotFound,GentooImage.Commands.GetBuildRootCommand", error.FullyQualifiedErrorId);
        Assert.Equal(System.Management.Automation.ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
    }

    [Fact]
    public void DefaultViewShowsThePath()
    {
        var text = string.Join("\n", _host.Invoke($"Get-BuildRoot '{_dir}' | Out-String -Width 200").Select(o => o.ToString()));
        Assert.Contains("Mounted", text);
        Assert.Contains(_dir, text);
    }
}
