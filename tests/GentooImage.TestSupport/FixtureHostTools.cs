using System.Text.RegularExpressions;

namespace GentooImage.TestSupport;

/// <summary>
/// Copies host binaries (e.g. sfdisk, partx, resize2fs) into a fixture root together with the
/// shared libraries ldd says they load, so a guest booted from the fixture can run them.
/// </summary>
public static class FixtureHostTools
{
    public static void Copy(string root, params string[] tools)
    {
        foreach (var tool in tools)
        {
            var path = new[] { "/usr/sbin", "/sbin", "/usr/bin", "/bin" }.Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists)
                ?? throw new InvalidOperationException($"{tool} is not installed on the host.");

            CopyFile(root, Resolve(path), "/usr/sbin/" + Path.GetFileName(path));
            foreach (Match m in Regex.Matches(FixtureRoot.Run("ldd", path), @"(/\S+) \(0x"))
            {
                var lib = m.Groups[1].Value;
                CopyFile(root, Resolve(lib), lib);
            }
        }
    }

    private static string Resolve(string path) => new FileInfo(path).ResolveLinkTarget(true)?.FullName ?? path;

    private static void CopyFile(string root, string source, string targetInRoot)
    {
        var target = Path.Join(root, targetInRoot);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        if (!File.Exists(target))
        {
            FixtureRoot.Run("cp", "-L", "--preserve=mode", source, target);
        }
    }
}
