using System.Diagnostics;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Guest;

/// <summary>
/// Initialize-CloudGuest's engine: makes a root a well-behaved OpenStack guest (serial console,
/// DHCP, sshd, locked root, cloud-init, first-boot root growth, hygiene, hostname, timezone).
/// It works at file level — it writes what rc-update and systemctl enable would write — so it needs
/// neither a mounted root nor tools that run on the host. First <see cref="Plan"/> (reads only),
/// then <see cref="Apply"/> (all or some of the planned changes).
/// </summary>
public static class CloudGuest
{
    public const string Step = "Initialize-CloudGuest";

    /// <summary>The init system of the root at <paramref name="rootPath"/>, with the reason (for tests; the root goes through the guard).</summary>
    internal static InitSystem DetectInitSystem(string rootPath, out string reason) =>
        InitSystemDetector.Detect(new GuestRootFs(BuildRootGuard.Demand(rootPath)), out reason);

    /// <summary>Works out the changes; touches nothing. Warnings (e.g. -RootPassword Empty) go to <paramref name="ctx"/>.</summary>
    public static GuestPlan Plan(BuildRoot root, GuestOptions options, OperationContext ctx)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(options);
        var canonical = BuildRootGuard.Demand(root);
        return new GuestPlanner(root, canonical, options, ctx).Plan();
    }

    /// <summary>
    /// Applies <paramref name="approved"/> (null: every change of the plan), records the step in the
    /// root's History (Data: the changes) and saves the root's state. On failure the step is recorded
    /// as failed and the error rethrown; changes already made stay (running again finishes the rest).
    /// </summary>
    public static BuildRoot Apply(BuildRoot root, GuestPlan plan, IReadOnlyCollection<GuestChange>? approved, OperationContext ctx)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(plan);
        var canonical = BuildRootGuard.Demand(root);
        var changes = (approved ?? plan.Changes).ToList();
        var fs = new GuestRootFs(canonical);
        var history = StepRecorder.Start(root, Step, ctx);
        var done = new List<GuestChange>();
        const string activity = "Initializing the cloud guest";
        try
        {
            for (var i = 0; i < changes.Count; i++)
            {
                ctx.ThrowIfCancelled("initializing the cloud guest");
                var change = changes[i];
                ctx.Report(new ProgressReport(activity, change.Description, changes.Count == 0 ? -1 : i * 100 / changes.Count));
                ctx.Verbose(change.ToString());
                try
                {
                    GuestApplier.Apply(root, fs, change);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    throw new GentooImageException(
                        ErrorKind.GuestConfigFailed,
                        $"Could not {change.Description}: {ex.Message} Check that the root is writable (not a read-only mount) and run Initialize-CloudGuest again.",
                        root.HostPath(change.Path ?? "/"),
                        ex);
                }

                done.Add(change);
            }

            ctx.Report(new ProgressReport(activity, "Done", 100, Completed: true));
        }
        catch (Exception ex)
        {
            history.Failed(ex, StepRecorder.OutcomeOf(ex, ctx.Cancellation) == StepOutcome.Cancelled
                ? $"cancelled after {done.Count} of {changes.Count} change(s)"
                : $"failed after {done.Count} of {changes.Count} change(s): {ex.Message}",
                Data(root, plan, done));
            throw;
        }

        history.Succeeded(
            done.Count == 0 ? $"{plan.InitSystem} root: nothing to change" : $"{plan.InitSystem} root: {done.Count} change(s)",
            Data(root, plan, done));
        return root;
    }

    /// <summary>Plans and applies everything (scripts and tests; the cmdlet asks ShouldProcess in between).</summary>
    public static BuildRoot Initialize(BuildRoot root, GuestOptions options, OperationContext ctx) =>
        Apply(root, Plan(root, options, ctx), null, ctx);

    private static Dictionary<string, string> Data(BuildRoot root, GuestPlan plan, List<GuestChange> done)
    {
        var data = new Dictionary<string, string>
        {
            ["InitSystem"] = plan.InitSystem.ToString(),
            ["ChangeCount"] = done.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Changes"] = string.Join('\n', done.Select(c => c.ToString())),
        };
        if (root.KernelArguments.Count > 0)
        {
            data["KernelArguments"] = string.Join(' ', root.KernelArguments);
        }

        return data;
    }
}
