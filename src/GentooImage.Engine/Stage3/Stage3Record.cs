using System.Globalization;
using GentooImage.Engine.Model;

namespace GentooImage.Engine.Stage3;

/// <summary>What New-Stage3Root records in the root's state: the stage3 it extracted, and the detail and data of its history entry.</summary>
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

    /// <summary>The history entry's one-line detail.</summary>
    public static string Detail(Stage3Plan plan, long entries) =>
        $"Extracted {plan.FileName} ({entries} entries, {plan.Request.Verification} verification)";

    /// <summary>The history entry's data: source, entries, verification, and the SHA512, signer and pointer age when known.</summary>
    public static Dictionary<string, string> Data(Stage3Plan plan, Stage3Info stage3, long entries)
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

        return data;
    }
}
