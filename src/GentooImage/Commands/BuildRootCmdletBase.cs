using System.Management.Automation;
using GentooImage.Engine.Model;

namespace GentooImage.Commands;

/// <summary>
/// Base of the cmdlets that act on a build root. The root comes as a <see cref="BuildRoot"/> by
/// pipeline (<c>-InputObject</c>) or as a path (<c>-Path</c>, also bound by property name, so
/// <c>Get-Item ./gentoo | Mount-BuildFilesystems</c> works).
/// </summary>
public abstract class BuildRootCmdletBase : GentooCmdletBase
{
    protected const string InputObjectSet = "InputObject";
    protected const string PathSet = "Path";

    /// <summary>The build root, as output by New-Stage3Root or another GentooImage cmdlet.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    public BuildRoot InputObject { get; set; } = null!;

    /// <summary>The path of the build root directory.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [Alias("PSPath", "FullName", "LiteralPath")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = null!;

    /// <summary>
    /// The root this record is about: the piped object, or the root at -Path loaded from its state
    /// file (a plain directory gives a fresh BuildRoot).
    /// </summary>
    protected BuildRoot ResolveBuildRoot()
    {
        if (ParameterSetName == InputObjectSet)
        {
            return InputObject;
        }

        var full = ResolvePath(Path);
        try
        {
            return BuildRootStore.Load(full);
        }
        catch (Exception ex)
        {
            ThrowEngineError(ex, full);
            throw;
        }
    }
}
