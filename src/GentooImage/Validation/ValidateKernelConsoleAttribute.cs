using GentooImage.Engine.Image;

namespace GentooImage.Validation;

/// <summary>Refuses, at parameter binding, a -Console value that is not a kernel console (see <see cref="KernelConsole"/>).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ValidateKernelConsoleAttribute : ValidateEachStringAttribute
{
    protected override string? Why(string text) =>
        KernelConsole.IsValid(text)
            ? null
            : $"'{Printable(text)}' is not a kernel console: use a name such as tty0, ttyS0, ttyS0,115200n8 or hvc0.";
}
