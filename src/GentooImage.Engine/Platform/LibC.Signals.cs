using System.Runtime.InteropServices;

namespace GentooImage.Engine.Platform;

/// <summary>The libc calls <see cref="SignalCancellation"/> needs.</summary>
internal static partial class LibC
{
    /// <summary>Big enough for glibc's struct sigaction on every architecture (152 bytes on x86_64); kept opaque.</summary>
    internal const int SigactionSize = 512;

    [LibraryImport(Lib, EntryPoint = "isatty")]
    internal static partial int IsATty(int fd);

    [LibraryImport(Lib, EntryPoint = "sigaction", SetLastError = true)]
    internal static partial int SigAction(int signal, byte[]? action, byte[]? old);
}
