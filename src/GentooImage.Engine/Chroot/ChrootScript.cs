using System.Text;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Chroot;

/// <summary>
/// The script file that runs in the root: its text (a preamble that loads the profile, then the
/// user's script under <c>set -e</c>), writing it into the root's /var/tmp, and removing it afterwards.
/// </summary>
internal static class ChrootScript
{
    /// <summary>The complete script file that would run (preamble + script).</summary>
    public static string Compose(ChrootOptions options)
    {
        var sb = new StringBuilder();
        sb.Append("# Written by Invoke-GentooChroot; removed when the run ends.\n");
        if (!options.NoProfile)
        {
            sb.Append("if command -v env-update >/dev/null 2>&1; then env-update || echo 'env-update failed' >&2; fi\n");
            sb.Append("if [ -r /etc/profile ]; then . /etc/profile || true; fi\n");
        }

        sb.Append("set -e\n");
        sb.Append(options.Script.Replace("\r\n", "\n", StringComparison.Ordinal));
        if (!options.Script.EndsWith('\n'))
        {
            sb.Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>The host path of a directory inside the root, refused when a symlink takes it out of the root.</summary>
    public static string DirectoryInRoot(string rootPath, string pathInRoot)
    {
        var host = PathInRoot.Resolve(rootPath, pathInRoot);
        if (host == rootPath || !PathInRoot.IsAtOrBelow(host, rootPath))
        {
            throw new GentooImageException(ErrorKind.UnsafeMountPoint,
                $"{pathInRoot} in '{rootPath}' resolves to '{host}', not to a directory inside the root. Fix the symlink in the root.", host);
        }

        return host;
    }

    /// <summary>Writes the script as a new file (never over an existing one or through a link), executable by root only.</summary>
    public static void Write(string path, string text)
    {
        var fso = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (OperatingSystem.IsLinux())
        {
            fso.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        }

        using var fs = new FileStream(path, fso);
        fs.Write(new UTF8Encoding(false).GetBytes(text));
    }

    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}
