using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Stage3;

/// <summary>
/// Verifies OpenPGP signatures with gpg in a throw-away GNUPGHOME: import the keyring, verify with
/// <c>--status-fd</c>, decide with <see cref="SignatureVerdict"/>, then kill that home's agent and
/// delete it. The user's own keyring and trust database are never read or changed.
/// </summary>
public sealed class OpenPgpVerifier
{
    private readonly IProcessRunner _runner;

    public OpenPgpVerifier(IProcessRunner? runner = null) => _runner = runner ?? ProcessRunner.Instance;

    /// <summary>
    /// Verifies a clear-signed file and returns the verdict and the signed payload as gpg output it
    /// (the only text that may be trusted). Throws <see cref="ErrorKind.Stage3SignatureInvalid"/> when
    /// the keyring cannot be imported; a bad signature is returned as a verdict, not thrown.
    /// </summary>
    public async Task<(SignatureVerdict Verdict, string? Payload)> VerifyClearSignedAsync(
        string signedFile, string keyringPath, IEnumerable<string> trustedFingerprints, CancellationToken cancellation)
    {
        using var home = new TemporaryGnupgHome(_runner);
        await home.ImportAsync(keyringPath, cancellation).ConfigureAwait(false);
        var output = Path.Combine(home.Path, "payload.txt");
        var result = await _runner.RunAsync(
            home.Gpg("--status-fd", "1", "--output", output, "--verify", signedFile), cancellation).ConfigureAwait(false);
        var verdict = SignatureVerdict.FromStatus(result.StandardOutput, trustedFingerprints);
        if (verdict.IsGood && result.ExitCode != 0)
        {
            verdict = verdict with { IsGood = false, Reason = $"gpg exited with code {result.ExitCode} despite a good signature status" };
        }

        var payload = verdict.IsGood && File.Exists(output) ? await File.ReadAllTextAsync(output, cancellation).ConfigureAwait(false) : null;
        return (verdict, payload);
    }

    /// <summary>Verifies a detached signature (<c>.asc</c>) over <paramref name="dataFile"/>.</summary>
    public async Task<SignatureVerdict> VerifyDetachedAsync(
        string signatureFile, string dataFile, string keyringPath, IEnumerable<string> trustedFingerprints, CancellationToken cancellation)
    {
        using var home = new TemporaryGnupgHome(_runner);
        await home.ImportAsync(keyringPath, cancellation).ConfigureAwait(false);
        var result = await _runner.RunAsync(home.Gpg("--status-fd", "1", "--verify", signatureFile, dataFile), cancellation).ConfigureAwait(false);
        var verdict = SignatureVerdict.FromStatus(result.StandardOutput, trustedFingerprints);
        return verdict.IsGood && result.ExitCode != 0 ? verdict with { IsGood = false, Reason = $"gpg exited with code {result.ExitCode}" } : verdict;
    }

    /// <summary>The primary fingerprints of the keys in a key file (to check a fetched key before caching it).</summary>
    public async Task<IReadOnlyList<string>> PrimaryFingerprintsAsync(string keyFile, CancellationToken cancellation)
    {
        using var home = new TemporaryGnupgHome(_runner);
        var result = await _runner.RunAsync(home.Gpg("--with-colons", "--show-keys", keyFile), cancellation).ConfigureAwait(false);
        result.EnsureSuccess(ErrorKind.Stage3SignatureInvalid, $"Reading the key file '{keyFile}'");
        var list = new List<string>();
        var expectFpr = false;
        foreach (var fields in result.StandardOutput.Split('\n').Select(l => l.Split(':')))
        {
            if (fields[0] == "pub")
            {
                expectFpr = true;
            }
            else if (fields[0] == "fpr" && expectFpr && fields.Length > 9)
            {
                list.Add(fields[9]);
                expectFpr = false;
            }
            else if (fields[0] is "sub" or "uid")
            {
                expectFpr = false;
            }
        }

        return list;
    }
}

/// <summary>A GNUPGHOME that exists for one verification; disposing kills its agent and deletes it.</summary>
internal sealed class TemporaryGnupgHome : IDisposable
{
    private readonly IProcessRunner _runner;

    public TemporaryGnupgHome(IProcessRunner runner)
    {
        _runner = runner;

        // Short path under /tmp (mode 0700): gpg-agent's socket path must fit in sun_path.
        // Owned (gi-gpg-o<pid>_<start>-<hex>), so a run that was killed is cleaned up by the next one.
        Path = Leftovers.CreateTempDirectory(Prefix);
    }

    public const string Prefix = "gi-gpg-";

    public string Path { get; }

    /// <summary>Stops the agent of a GNUPGHOME left by a killed run, before the directory is removed.</summary>
    public static void KillAgent(IProcessRunner runner, string home)
    {
        try
        {
            runner.RunAsync(new ProcessSpec("gpgconf", "--homedir", home, "--kill", "all")
            {
                Environment = new Dictionary<string, string?> { ["GNUPGHOME"] = home },
                Timeout = TimeSpan.FromSeconds(20),
            }).GetAwaiter().GetResult();
        }
        catch (GentooImageException)
        {
            // gpgconf missing: nothing was started that we could stop.
        }
    }

    public ProcessSpec Gpg(params string[] args) =>
        new("gpg", new[] { "--homedir", Path, "--batch", "--no-tty", "--no-auto-key-retrieve", "--no-auto-key-locate", "--trust-model", "always" }.Concat(args).ToArray())
        {
            Environment = new Dictionary<string, string?> { ["GNUPGHOME"] = Path, ["LC_ALL"] = "C" },
            Timeout = TimeSpan.FromMinutes(2),
        };

    public async Task ImportAsync(string keyringPath, CancellationToken cancellation)
    {
        if (!File.Exists(keyringPath))
        {
            throw new GentooImageException(ErrorKind.Stage3SignatureInvalid,
                $"The keyring '{keyringPath}' does not exist. Pass -KeyringPath with the release engineering public key, or install it (Gentoo: sec-keys/openpgp-keys-gentoo-release).",
                keyringPath);
        }

        var r = await _runner.RunAsync(Gpg("--status-fd", "1", "--import", keyringPath), cancellation).ConfigureAwait(false);
        if (!r.StandardOutput.Contains("[GNUPG:] IMPORT_OK", StringComparison.Ordinal))
        {
            throw new GentooImageException(ErrorKind.Stage3SignatureInvalid,
                $"No OpenPGP key could be imported from '{keyringPath}' (gpg: {r.StandardError.Trim()}). Pass -KeyringPath with an armored or binary public key file.",
                keyringPath);
        }
    }

    public void Dispose()
    {
        // gpg may have started an agent for this home (it does for --import); stop it.
        KillAgent(_runner, Path);

        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A socket vanished while deleting; what is left is an empty temp dir at worst. A
            // cleanup failure must never hide the verification's own result.
        }
    }
}
