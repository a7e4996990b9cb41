using System.Runtime.InteropServices;

namespace GentooImage.Engine.Platform;

internal static partial class LibC
{
    [LibraryImport(Lib, EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RenameNative(string from, string to);

    /// <summary>rename(2), for files, symlinks, device nodes and directories alike (same file system; never follows a symlink).</summary>
    internal static void Rename(string from, string to)
    {
        if (RenameNative(from, to) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"rename '{from}' to '{to}': {StrError(errno)}", errno);
        }
    }
}
