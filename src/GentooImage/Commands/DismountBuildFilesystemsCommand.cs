using System.Management.Automation;
using GentooImage.Engine.Model;
using GentooImage.Engine.Mounts;

namespace GentooImage.Commands;

/// <summary>
/// Dismount-BuildFilesystems: unmounts everything below the root (from the live mount table),
/// deepest first, refusing while processes use it unless -Force; restores resolv.conf.
/// </summary>
[Cmdlet(VerbsData.Dismount, "BuildFilesystems", SupportsShouldProcess = true, DefaultParameterSetName = InputObjectSet)]
[OutputType(typeof(BuildRoot))]
public sealed class DismountBuildFilesystemsCommand : BuildRootCmdletBase
{
    /// <summary>Terminate processes that use the root (SIGTERM, then SIGKILL after a grace period).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override object? Run()
    {
        using var lease = OpenBuildRoot(BuildRootAccess.Change);
        var root = lease.Root!;
        var what = Force ? "Unmount everything below the root, terminating processes that use it" : "Unmount everything below the root";
        if (!ShouldProcess(root.Path, what))
        {
            return null;
        }

        return RunEngine("Unmounting build filesystems", root.Path, ctx => BuildFilesystems.Dismount(root, Force.IsPresent, ctx));
    }
}
