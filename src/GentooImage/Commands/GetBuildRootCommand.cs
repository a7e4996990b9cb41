using System.Management.Automation;
using GentooImage.Engine.Model;

namespace GentooImage.Commands;

/// <summary>Get-BuildRoot: picks up a build root again by path, from the state kept inside it.</summary>
[Cmdlet(VerbsCommon.Get, "BuildRoot")]
[OutputType(typeof(BuildRoot))]
public sealed class GetBuildRootCommand : GentooCmdletBase
{
    /// <summary>Paths of build root directories.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName", "LiteralPath")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    protected override void ProcessRecord()
    {
        foreach (var p in Path)
        {
            var full = ResolvePath(p);
            try
            {
                using var lease = BuildRootGuard.Open(full, BuildRootAccess.Read, MyInvocation.MyCommand.Name, nameof(Path));
                WriteObject(lease.Root);
            }
            catch (Exception ex)
            {
                // One bad path does not stop the others.
                WriteError(ErrorRecords.From(ex, full));
            }
        }
    }
}
