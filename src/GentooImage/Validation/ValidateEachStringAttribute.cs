using System.Management.Automation;

namespace GentooImage.Validation;

/// <summary>Base of the binding-time checks that look at each string of a value (a string or an array of them).</summary>
public abstract class ValidateEachStringAttribute : ValidateArgumentsAttribute
{
    /// <summary>Why <paramref name="text"/> is refused, or null when it is fine.</summary>
    protected abstract string? Why(string text);

    protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
    {
        var values = arguments is System.Collections.IEnumerable e and not string ? e.Cast<object?>() : new[] { arguments };
        foreach (var v in values)
        {
            var text = (v is PSObject p ? p.BaseObject : v)?.ToString() ?? string.Empty;
            if (Why(text) is { } why)
            {
                throw new ValidationMetadataException(why);
            }
        }
    }

    /// <summary>The text with control characters shown as '?', for a message.</summary>
    protected static string Printable(string text) => new(text.Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
