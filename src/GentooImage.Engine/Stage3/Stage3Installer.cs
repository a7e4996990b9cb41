using System.Text.RegularExpressions;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Stage3;

/// <summary>
/// New-Stage3Root's engine: resolve a stage3 (<see cref="PlanAsync"/>), then fetch, verify and
/// extract it into a build root (<see cref="InstallAsync"/>). Trust is decided here: with
/// <see cref="Stage3Verification.Full"/> nothing is extracted where the root is used unless the
/// DIGESTS carry a good signature by a trusted key and both hashes match, re-checked on every run,
/// cached or not. The hashes are checked while tar extracts into a hidden staging directory inside
/// the root, which is published (renames only) once both the hashes and tar have succeeded.
/// </summary>
public sealed class Stage3Installer
{
    internal const string Step = "New-Stage3Root";

    /// <summary>Temporary directories of New-Stage3Root in /tmp: gi-gpg-&lt;owner&gt;, gi-ptr-&lt;owner&gt;.</summary>
    private static readonly Regex s_gnupgHome = Leftovers.PatternFor(TemporaryGnupgHome.Prefix);
    private static readonly Regex s_pointerDirectory = Leftovers.PatternFor(Stage3Planner.PointerDirectoryPrefix);

    private readonly IProcessRunner _runner;
    private readonly OpenPgpVerifier _pgp;

    public Stage3Installer(IProcessRunner? runner = null)
    {
        _runner = runner ?? ProcessRunner.Instance;
        _pgp = new OpenPgpVerifier(_runner);
    }

    /// <summary>
    /// Checks the request (root privileges when <paramref name="requireRoot"/>, root directory
    /// empty or -Force) and resolves what would be fetched. Changes nothing on disk.
    /// </summary>
    public Task<Stage3Plan> PlanAsync(Stage3Request request, OperationContext ctx, bool requireRoot = true) =>
        new Stage3Planner(_pgp).ResolveAsync(request, ctx, requireRoot);

    /// <summary>Fetches, verifies and extracts the planned stage3, and returns the saved BuildRoot.</summary>
    public async Task<BuildRoot> InstallAsync(Stage3Plan plan, OperationContext ctx)
    {
        Privilege.RequireRoot(Step, "extracting a stage3 must keep numeric owners, device nodes and file capabilities");
        var request = plan.Request;
        var rootPath = request.RootPath;
        RemoveLeftovers(_runner, ctx);
        if (Directory.Exists(rootPath))
        {
            Leftovers.SweepRoot(rootPath, ctx.Verbose); // a killed run's staging directory
        }

        RootDirectory.CheckTarget(rootPath, request.Force);
        var root = new BuildRoot(rootPath) { State = BuildRootState.Ready };
        var step = StepRecorder.Start(root, Step, ctx);
        var downloader = new Stage3Downloader(request.CacheDirectory);

        // 1. The DIGESTS: signature checked, expected hashes read, before anything is extracted.
        var (digests, signer) = await new SignedDigestsReader(_pgp).ReadAsync(plan, downloader, ctx).ConfigureAwait(false);
        var hashes = digests is null ? null : TarballHashCheck.From(plan, digests);
        var tarball = plan.IsRemote
            ? await downloader.DownloadAsync(new Uri(plan.Source), plan.ExpectedSize, ctx).ConfigureAwait(false)
            : plan.Source;
        var stage3 = Stage3Record.Describe(plan, new FileInfo(tarball).Length, signer);

        // 2. Extract into the hidden staging directory while hashing; publish only what passed both.
        var created = !Directory.Exists(rootPath);
        if (created)
        {
            Directory.CreateDirectory(rootPath);
        }

        // -Force (CheckTarget refused a non-empty root otherwise) keeps the old content until the new
        // stage3 is verified and extracted when the file system has room for both trees; else, as
        // before, the tarball is verified first and the old content removed before extracting.
        var replacing = !created && RootDirectory.Entries(rootPath).Any();
        var keepOld = replacing && RootDirectory.HasRoomFor(rootPath, await new Stage3Extractor(_runner).UncompressedSizeAsync(tarball, ctx).ConfigureAwait(false));
        var rootChanged = false;
        Stage3Staging? staging = null;
        long entries;
        try
        {
            if (replacing && !keepOld)
            {
                ctx.Verbose($"-Force: {rootPath} has no room for the old and the new tree at once; verifying {plan.FileName} before the old content is removed.");
                stage3 = stage3 with { Sha512 = hashes is null ? null : await hashes.CheckAsync(tarball, ctx, _runner).ConfigureAwait(false) };
                hashes = null;
                MarkIncomplete(rootPath, stage3);
                rootChanged = true;
                RootDirectory.Clear(rootPath, BuildRootStore.StatePathFor(rootPath));
            }
            else if (!replacing)
            {
                // Marked before the first byte is extracted: a run killed from here on leaves a root
                // that Get-BuildRoot shows as Incomplete and the other cmdlets refuse, until -Force.
                MarkIncomplete(rootPath, stage3);
                rootChanged = true;
            }

            staging = Stage3Staging.Create(rootPath);
            ctx.Verbose($"Extracting {tarball} into {staging.Tree} (published into {rootPath} once verified): xz -dc -T0 | tar {string.Join(' ', Stage3Extractor.TarArguments(staging.Tree))}");
            var guard = new ArchiveEntryGuard();
            (entries, var sha512) = await VerifiedExtraction.RunAsync(tarball, hashes, staging.Tree, guard, _runner, ctx).ConfigureAwait(false);
            stage3 = stage3 with { Sha512 = sha512 ?? stage3.Sha512 };
            if (keepOld)
            {
                // -Force: the old content goes only now, so a rejected or failed stage3 leaves it as it was.
                MarkIncomplete(rootPath, stage3);
                rootChanged = true;
                ctx.Verbose($"-Force: removing the current content of {rootPath}.");
                RootDirectory.Clear(rootPath, staging.Outer, BuildRootStore.StatePathFor(rootPath));
            }

            staging.Publish(guard.HasRootEntry);
        }
        catch
        {
            RemovePartial(rootPath, created, rootChanged, staging, ctx);
            throw;
        }

        // A failed run records nothing: it leaves no root, or the old one as it was.
        root.Stage3 = stage3 with { ExtractedAt = DateTimeOffset.UtcNow };
        step.Succeeded(Stage3Record.Detail(plan, entries), Stage3Record.Data(plan, stage3, entries));
        return root;
    }

    /// <summary>Removes what killed New-Stage3Root runs left in /tmp (their owner no longer runs).</summary>
    public static IReadOnlyList<string> RemoveLeftovers(IProcessRunner runner, OperationContext ctx) =>
        Leftovers.Sweep(Path.GetTempPath(), s_gnupgHome, ctx.Verbose, path => TemporaryGnupgHome.KillAgent(runner, path))
            .Concat(Leftovers.Sweep(Path.GetTempPath(), s_pointerDirectory, ctx.Verbose))
            .ToList();

    private static void MarkIncomplete(string rootPath, Stage3Info stage3) =>
        BuildRootStore.Save(new BuildRoot(rootPath) { State = BuildRootState.Incomplete, Stage3 = stage3 });

    /// <summary>Never leaves half a root that looks complete; an untouched root keeps its content.</summary>
    private static void RemovePartial(string rootPath, bool created, bool rootChanged, Stage3Staging? staging, OperationContext ctx)
    {
        try
        {
            if (created)
            {
                RootDirectory.Clear(rootPath);
                Directory.Delete(rootPath);
            }
            else if (rootChanged)
            {
                RootDirectory.Clear(rootPath);
            }
            else
            {
                staging?.Remove();
            }
        }
        catch (Exception cleanup)
        {
            // Cleanup must never hide the error that made it necessary.
            ctx.Warning($"Could not fully remove the partial root {rootPath}: {cleanup.Message}. Remove it by hand.");
        }
    }
}
