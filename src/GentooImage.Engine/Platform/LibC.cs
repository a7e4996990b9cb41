using System.Runtime.InteropServices;

namespace GentooImage.Engine.Platform;

/// <summary>The few libc calls the engine makes directly. Stages add their own entries here.</summary>
internal static partial class LibC
{
    private const string Lib = "libc";

    [LibraryImport(Lib, EntryPoint = "geteuid")]
    internal static partial uint GetEuid();

    [LibraryImport(Lib, EntryPoint = "strerror")]
    private static partial IntPtr StrErrorNative(int errnum);

    internal static string StrError(int errno) =>
        Marshal.PtrToStringUTF8(StrErrorNative(errno)) ?? $"errno {errno}";
}
