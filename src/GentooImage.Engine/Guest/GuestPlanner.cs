using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Guest;

/// <summary>
/// Works out the changes that make a root a cloud guest, reading the root only: checks the request,
/// tells the init system, then lets one planner per part (console, root growth, network, SSH, root
/// password, cloud-init, hostname, timezone, hygiene) add its changes to the draft. Changes already
/// in effect are left out, so a second run plans nothing; several edits of one file become one change.
/// </summary>
internal sealed class GuestPlanner
{
    /// <summary>Where GentooImage's own scripts go in the guest.</summary>
    public const string LibexecDir = "/usr/libexec/gentooimage";

    /// <summary>The parts in planning order: root growth before DHCP (busybox sysinit lines run in this order); hygiene last.</summary>
    private static readonly (GuestPart Part, Action<GuestPlanDraft> Plan)[] s_parts =
    {
        (GuestPart.SerialConsole, SerialConsolePlanner.Plan),
        (GuestPart.GrowRoot, GrowRootPlanner.Plan),
        (GuestPart.Network, NetworkPlanner.Plan),
        (GuestPart.Ssh, SshPlanner.Plan),
        (GuestPart.RootPassword, RootPasswordPlanner.Plan),
        (GuestPart.CloudInit, CloudInitPlanner.Plan),
        (GuestPart.Hostname, HostnamePlanner.Plan),
        (GuestPart.Timezone, TimezonePlanner.Plan),
        (GuestPart.Hygiene, HygienePlanner.Plan),
    };

    private readonly BuildRoot _root;
    private readonly GuestOptions _options;
    private readonly OperationContext _ctx;
    private readonly GuestRootFs _fs;

    /// <param name="root">The root to plan for.</param>
    /// <param name="rootPath">Its canonical host path (from <see cref="BuildRootGuard.Demand(BuildRoot)"/>): guest paths resolve inside it.</param>
    /// <param name="options">What to do.</param>
    /// <param name="ctx">Verbose messages, warnings and cancellation.</param>
    public GuestPlanner(BuildRoot root, string rootPath, GuestOptions options, OperationContext ctx)
    {
        _root = root;
        _options = options;
        _ctx = ctx;
        _fs = new GuestRootFs(rootPath);
    }

    public GuestPlan Plan()
    {
        GuestRequestCheck.Validate(_root, _options, _fs);
        var detected = _options.InitSystem is null;
        var why = "given";
        var init = _options.InitSystem ?? InitSystemDetector.Detect(_fs, out why);
        _ctx.Verbose(detected ? $"Init system: {init} ({why})." : $"Init system: {init} (given).");

        var draft = new GuestPlanDraft(_root, _options, _ctx, _fs, init);
        foreach (var (part, plan) in s_parts)
        {
            if (!_options.Includes(part))
            {
                draft.Note($"{part} skipped (-Skip).");
                continue;
            }

            _ctx.ThrowIfCancelled("planning the cloud guest changes");
            plan(draft);
        }

        // Every target checked before anything is changed (and under -WhatIf): a change that would
        // land in a file system mounted below the root is refused here, not halfway through applying.
        foreach (var change in draft.Changes)
        {
            if (change.Path is { } path && change.Kind != GuestChangeKind.KernelArgument)
            {
                _fs.ForChange(path, followLast: change.Kind is GuestChangeKind.EmptyDirectory or GuestChangeKind.TruncateLogs);
            }
        }

        return new GuestPlan(_root.Path, init, detected, draft.Changes.ToList(), draft.Notes.ToList());
    }
}
