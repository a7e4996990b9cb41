using System.Management.Automation;
using GentooImage.Engine.Model;
using GentooImage.Engine.Mounts;

namespace GentooImage.Commands;

/// <summary>
/// Mount-BuildFilesystems: proc, /sys, /dev (rslave), /run (slave), a private devpts, /dev/shm and
/// /var/tmp/portage tmpfs, resolv.conf and optional cache binds, so the root is ready for chroot.
/// </summary>
[Cmdlet(VerbsData.Mount, "BuildFilesystems", SupportsShouldProcess = true, DefaultParameterSetName = InputObjectSet)]
[OutputType(typeof(BuildRoot))]
public sealed class MountBuildFilesystemsCommand : BuildRootCmdletBase
{
    /// <summary>Size of the /var/tmp/portage tmpfs in bytes (e.g. 8GB); default: half of RAM.</summary>
    [Parameter]
    [ValidateRange(1L << 20, long.MaxValue)]
    public long PortageTmpfsSize { get; set; }

    /// <summary>Do not mount a tmpfs on /var/tmp/portage.</summary>
    [Parameter]
    public SwitchParameter NoPortageTmpfs { get; set; }

    /// <summary>Host directory bind-mounted at /var/cache/distfiles.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? DistfilesCache { get; set; }

    /// <summary>Host directory bind-mounted at /var/cache/binpkgs.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? BinpkgCache { get; set; }

    protected override object? Run()
    {
        using var lease = OpenBuildRoot(BuildRootAccess.Change);
        var root = lease.Root!;
        var options = new BuildMountOptions
        {
            PortageTmpfsSize = MyInvocation.BoundParameters.ContainsKey(nameof(PortageTmpfsSize)) ? PortageTmpfsSize : null,
            NoPortageTmpfs = NoPortageTmpfs.IsPresent,
            DistfilesCache = DistfilesCache is null ? null : ResolvePath(DistfilesCache),
            BinpkgCache = BinpkgCache is null ? null : ResolvePath(BinpkgCache),
        };

        var plan = RunEngine("Planning the mounts", root.Path, _ => BuildFilesystems.Plan(root, options));
        var description = $"Mount on '{root.Path}':\n  " + string.Join("\n  ", plan) + "\n  and copy the host's /etc/resolv.conf (the root's own is kept aside).";
        if (!ShouldProcess(description, $"Mount {plan.Count} file systems on '{root.Path}'?", "Mount-BuildFilesystems"))
        {
            return null;
        }

        return RunEngine("Mounting build filesystems", root.Path, ctx => BuildFilesystems.Mount(root, options, ctx));
    }
}
