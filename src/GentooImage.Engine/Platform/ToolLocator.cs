namespace GentooImage.Engine.Platform;

/// <summary>Finds host tools on PATH (and in the sbin directories a non-login root shell may lack).</summary>
public static class ToolLocator
{
    private static readonly string[] s_extraDirs = { "/usr/local/sbin", "/usr/sbin", "/sbin" };

    /// <summary>The absolute path of <paramref name="tool"/>, or null when it is not installed.</summary>
    public static string? Find(string tool)
    {
        if (tool.Contains('/'))
        {
            return File.Exists(tool) ? tool : null;
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(s_extraDirs))
        {
            var candidate = System.IO.Path.Combine(dir, tool);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Like <see cref="Find"/>, but throws <see cref="ErrorKind.ToolMissing"/> naming the tool.</summary>
    public static string Require(string tool) =>
        Find(tool) ?? throw new GentooImageException(
            ErrorKind.ToolMissing,
            $"The tool '{tool}' is not installed or not on PATH. On Debian, './build.ps1 -Task Bootstrap' installs every tool GentooImage uses.",
            tool);
}
