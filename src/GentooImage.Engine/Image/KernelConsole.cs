using System.Text.RegularExpressions;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Image;

/// <summary>
/// The <c>console=</c> values the module writes into grub.cfg: a virtual terminal (<c>tty0</c>),
/// a serial port with optional speed, parity and bits (<c>ttyS0,115200n8</c>), the Xen and
/// virtio consoles (<c>hvc0</c>) and a few others. Anything else (a typo such as <c>ttyS</c>, a
/// space, a newline that would add a menu entry) is refused before anything is written.
/// </summary>
public static partial class KernelConsole
{
    /// <summary>What a console value must look like.</summary>
    public const string Pattern = @"^(tty\d{1,2}|(ttyS|ttyAMA|ttyUSB|ttyPS)\d{1,3}(,\d{3,7}([noe]([5-8])?)?)?|hvc\d{1,2}|xvc\d|ttysclp\d)$";

    [GeneratedRegex(Pattern, RegexOptions.CultureInvariant)]
    private static partial Regex Valid();

    /// <summary>True when <paramref name="value"/> is a console the kernel understands.</summary>
    public static bool IsValid(string? value) => value is not null && Valid().IsMatch(value);

    /// <summary>Throws <see cref="ErrorKind.InvalidArgument"/> for a value that is not a console.</summary>
    public static void Validate(string? value)
    {
        if (!IsValid(value))
        {
            throw new GentooImageException(
                ErrorKind.InvalidArgument,
                $"-Console '{Printable(value)}' is not a kernel console: use a name such as tty0, ttyS0, ttyS0,115200n8 or hvc0.",
                value);
        }
    }

    private static string Printable(string? value) =>
        new((value ?? string.Empty).Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
