namespace GentooImage.Engine.Model;

/// <summary>A command run in a booted guest over its serial console, and what it printed.</summary>
public sealed record GuestCommandResult(string Command, string Output, int? ExitCode)
{
    public override string ToString() => $"{Command} -> {ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}";
}
