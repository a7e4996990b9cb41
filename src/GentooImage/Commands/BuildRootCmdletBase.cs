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
    /// The root this record is about, through the root guard (once, before anything is written):
    /// the piped object's path or -Path, canonicalised and checked, shown to be a build root, and
    /// locked for <see cref="BuildRootAccess.Change"/> unless this is a -WhatIf run. Dispose the lease
    /// when the record is done.
    /// </summary>
    protected BuildRootLease OpenBuildRoot(BuildRootAccess access) =>
        ParameterSetName == InputObjectSet
            ? OpenBuildRoot(InputObject.Path, access, nameof(Path), InputObject)
            : OpenBuildRoot(ResolvePath(Path), access, nameof(Path), null);
}
