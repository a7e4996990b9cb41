using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using GentooImage.Engine.Model;
using GentooImage.Engine.Stage3;

namespace GentooImage.Commands;

/// <summary>
/// New-Stage3Root: gets a Gentoo stage3 (latest, pinned, URL or local file), verifies it (OpenPGP
/// signature of the DIGESTS by a trusted key, SHA512 and BLAKE2B) and extracts it into a new build root.
/// </summary>
[Cmdlet(VerbsCommon.New, "Stage3Root", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(BuildRoot))]
public sealed class NewStage3RootCommand : GentooCmdletBase
{
    /// <summary>The build root directory; created if missing.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = null!;

    /// <summary>A local .tar.xz path or an http(s) URL; omitted: the latest build for -Flavor from -Mirror.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Stage3 { get; set; }

    /// <summary>The stage3 flavor, e.g. amd64-openrc.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(Stage3FlavorCompleter))]
    [ValidateNotNullOrEmpty]
    public string Flavor { get; set; } = Stage3Names.DefaultFlavor;

    /// <summary>The Gentoo mirror (its root, above releases/).</summary>
    [Parameter]
    [ValidateNotNull]
    public Uri Mirror { get; set; } = new(Stage3Names.DefaultMirror);

    /// <summary>Pins a build by its timestamp, e.g. 20260811T083102Z.</summary>
    [Parameter]
    [ValidatePattern(@"^\d{8}T\d{6}Z$")]
    public string? BuildDate { get; set; }

    /// <summary>Where downloads are cached and resumed.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CacheDirectory { get; set; }

    /// <summary>Full (default), DigestOnly or None.</summary>
    [Parameter]
    public Stage3Verification Verification { get; set; } = Stage3Verification.Full;

    /// <summary>Primary-key fingerprints whose (sub)key signatures are accepted.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] TrustedFingerprint { get; set; } = { Stage3Request.GentooReleaseKey };

    /// <summary>A public key file (armored or binary) to verify with.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? KeyringPath { get; set; }

    /// <summary>The latest pointer may not be older than this many days.</summary>
    [Parameter]
    [ValidateRange(0, 36500)]
    public int MaxAgeDays { get; set; } = 30;

    /// <summary>Replace the content of a non-empty -Path.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override object? Run()
    {
        BuildRootLease lease;
        try
        {
            lease = BuildRootGuard.Open(ResolvePath(Path), BuildRootAccess.Create, MyInvocation.MyCommand.Name, nameof(Path), cancellation: CancelToken, takeLock: !IsWhatIf());
        }
        catch (Exception ex)
        {
            ThrowEngineError(ex, Path);
            throw;
        }

        using var held = lease;
        var root = lease.Path;
        var stage3 = Stage3 is null ? null
            : Uri.TryCreate(Stage3, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttp || u.Scheme == Uri.UriSchemeHttps) ? Stage3
            : ResolvePath(Stage3);
        var request = new Stage3Request
        {
            RootPath = root,
            Stage3 = stage3,
            Flavor = Flavor,
            Mirror = Mirror,
            BuildDate = BuildDate,
            CacheDirectory = CacheDirectory is null ? Stage3Request.DefaultCacheDirectory() : ResolvePath(CacheDirectory),
            Verification = Verification,
            TrustedFingerprints = TrustedFingerprint,
            KeyringPath = KeyringPath is null ? null : ResolvePath(KeyringPath),
            MaxAgeDays = MaxAgeDays,
            Force = Force.IsPresent,
        };

        var installer = new Stage3Installer();
        var plan = RunEngine("New-Stage3Root", root, ctx => installer.PlanAsync(request, ctx, requireRoot: !IsWhatIf()).GetAwaiter().GetResult());
        if (!ShouldProcess(plan.Describe(), $"Extract {plan.FileName} into {root}?", "New-Stage3Root"))
        {
            return null;
        }

        return RunEngine("New-Stage3Root", root, ctx => installer.InstallAsync(plan, ctx).GetAwaiter().GetResult());
    }
}

/// <summary>Tab completion for -Flavor: the flavors release engineering publishes.</summary>
public sealed class Stage3FlavorCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var word = (wordToComplete ?? string.Empty).Trim('\'', '"');
        return Stage3Names.KnownFlavors
            .Where(f => f.StartsWith(word, StringComparison.OrdinalIgnoreCase))
            .Select(f => new CompletionResult(f, f, CompletionResultType.ParameterValue, $"stage3-{f}"));
    }
}
