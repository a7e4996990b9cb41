namespace GentooImage.Validation;

/// <summary>
/// Refuses, at parameter binding, a value with control characters (newline, tab, escape ...):
/// such values end up in generated files (grub.cfg, /etc/hostname), where a newline would add a
/// line of the caller's choosing. Binding-time, so -WhatIf refuses what the real run refuses.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ValidateNoControlCharactersAttribute : ValidateEachStringAttribute
{
    protected override string? Why(string text)
    {
        var bad = text.FirstOrDefault(char.IsControl);
        return bad == default
            ? null
            : $"The value contains the control character U+{(int)bad:X4}. Give it on one line without control characters: it is written into a generated file.";
    }
}
