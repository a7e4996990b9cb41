namespace GentooImage.Engine.Platform;

/// <summary>Checks for the privileges an operation needs, before it changes anything.</summary>
public static class Privilege
{
    /// <summary>True when the process runs with effective uid 0.</summary>
    public static bool IsRoot => OperatingSystem.IsLinux() && LibC.GetEuid() == 0;

    /// <summary>Throws <see cref="ErrorKind.NotRoot"/> naming the operation and why it needs root.</summary>
    public static void RequireRoot(string operation, string why)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new GentooImageException(ErrorKind.NotRoot, $"{operation} works on Linux only.", operation);
        }

        if (!IsRoot)
        {
            throw new GentooImageException(
                ErrorKind.NotRoot,
                $"{operation} must run as root ({why}). Run pwsh as root (e.g. 'sudo pwsh') and try again; nothing was changed.",
                operation);
        }
    }
}
