using System.Globalization;
using GentooImage.Engine.Model;

namespace GentooImage.Engine.Stage3;

/// <summary>What New-Stage3Root records in the root's state: the stage3 it extracted and the history entry.</summary>
internal static class Stage3Record
{
    public static Stage3Info Describe(Stage3Plan plan, long size, string? signer) => new()
    {
        FileName = plan.FileName,
        Flavor = plan.Flavor,
        BuildTimestamp = plan.BuildTimestamp,
        Size = size,
        Verification = plan.Request.Verification switch
        {
            Stage3Verification.Full => VerificationResult.SignatureAndDigest,
            Stage3Verification.DigestOnly => VerificationResult.DigestOnly,
            _ => VerificationResult.NotVerified,
        },
        SignerFingerprint = signer,
        Source = plan.Source,
    };

    public static HistoryEntry History(Stage3Plan plan, Stage3Info stage3, long entries, DateTimeOffset start, TimeSpan duration)
    {
        var data = new Dictionary<string, string>
        {
            ["Source"] = plan.Source,
            ["Entries"] = entries.ToString(CultureInfo.InvariantCulture),
            ["Verification"] = plan.Request.Verification.ToString(),
        };
        if (stage3.Sha512 is { } sha512)
        {
            data["Sha512"] = sha512;
        }

        if (stage3.SignerFingerprint is { } signer)
        {
            data["Signer"] = signer;
        }

        if (plan.Age is { } age)
        {
            data["AgeDays"] = age.TotalDays.ToString("0.0", CultureInfo.InvariantCulture);
        }

        return new HistoryEntry
        {
            Step = Stage3Installer.Step,
            Start = start,
            Duration = duration,
            Outcome = StepOutcome.Succeeded,
            Detail = $"Extracted {plan.FileName} ({entries} entries, {plan.Request.Verification} verification)",
            Data = data,
        };
    }
}
