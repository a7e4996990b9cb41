using System.Management.Automation;
using GentooImage.Engine.Guest;
using GentooImage.Engine.Model;
using GentooImage.Validation;

namespace GentooImage.Commands;

/// <summary>
/// Initialize-CloudGuest: makes a build root a well-behaved OpenStack guest (serial console, DHCP,
/// sshd, locked root, cloud-init, first-boot root growth, hygiene, hostname, timezone). The engine
/// plans the changes first; each one goes through ShouldProcess, so -WhatIf lists them and -Confirm
/// asks for each.
/// </summary>
[Cmdlet(VerbsData.Initialize, "CloudGuest", SupportsShouldProcess = true, DefaultParameterSetName = InputObjectSet)]
[OutputType(typeof(BuildRoot))]
public sealed class InitializeCloudGuestCommand : BuildRootCmdletBase
{
    /// <summary>The root's init system; detected from the root when not given.</summary>
    [Parameter]
    public InitSystem? InitSystem { get; set; }

    /// <summary>Parts to leave alone.</summary>
    [Parameter]
    [ValidateNotNull]
    public GuestPart[] Skip { get; set; } = Array.Empty<GuestPart>();

    /// <summary>Obsolete: every guest now gets a getty on hvc0 (Xen PV/PVH) next to ttyS0. Accepted, does nothing.</summary>
    [Parameter]
    [Obsolete("Initialize-CloudGuest now always configures a getty on hvc0 (Xen PV/PVH) next to ttyS0; -XenConsole has no effect and will be removed.")]
    public SwitchParameter XenConsole { get; set; }

    /// <summary>Locked (default) or Empty (test images only).</summary>
    [Parameter]
    public RootPasswordMode RootPassword { get; set; } = RootPasswordMode.Locked;

    /// <summary>cloud-init's datasource_list, in order.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public CloudDatasource[] Datasource { get; set; } = { CloudDatasource.OpenStack, CloudDatasource.ConfigDrive, CloudDatasource.NoCloud };

    /// <summary>Also empty /var/cache/distfiles.</summary>
    [Parameter]
    public SwitchParameter CleanPortage { get; set; }

    /// <summary>The guest's host name (cloud-init replaces it with the instance name when it runs).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ValidateNoControlCharacters]
    public string Hostname { get; set; } = "gentoo";

    /// <summary>A zoneinfo name.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ValidateNoControlCharacters]
    public string Timezone { get; set; } = "UTC";

    protected override object? Run()
    {
        using var lease = OpenBuildRoot(BuildRootAccess.Change);
        var root = lease.Root!;
        var options = new GuestOptions
        {
            InitSystem = InitSystem,
            Skip = Skip.ToHashSet(),
            RootPassword = RootPassword,
            Datasources = Datasource.ToList(),
            CleanPortage = CleanPortage.IsPresent,
            Hostname = Hostname,
            Timezone = Timezone,
        };

        var plan = RunEngine("Planning the cloud guest changes", root, ctx => CloudGuest.Plan(root, options, ctx));
        var approved = new List<GuestChange>();
        foreach (var change in plan.Changes)
        {
            if (ShouldProcess($"{root.Path}: {change}", $"{change.Description} in {root.Path}?", "Initialize-CloudGuest"))
            {
                approved.Add(change);
            }
        }

        if (plan.Changes.Count == 0 && !ShouldProcess(root.Path, "Initialize-CloudGuest (nothing to change; record the step)"))
        {
            return null;
        }

        if (plan.Changes.Count > 0 && approved.Count == 0)
        {
            return null;
        }

        RunEngine("Initializing the cloud guest", root, ctx => CloudGuest.Apply(root, plan, approved, ctx));
        return root;
    }
}
