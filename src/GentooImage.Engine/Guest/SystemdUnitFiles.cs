using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Guest;

/// <summary>
/// Looks a unit up the way systemd's install logic does, inside a root: the system unit search
/// path in systemd's order (directories that are the same after in-root symlink resolution counted
/// once, the first name kept), instance names falling back to their template, and alias links (a
/// link whose target has another name, e.g. Debian's /etc/systemd/system/sshd.service ->
/// /lib/systemd/system/ssh.service) followed to the unit they name.
/// </summary>
internal static class SystemdUnitFiles
{
    /// <summary>
    /// The system unit directories systemctl --root reads, without the runtime ones: /run/systemd/system
    /// (like the transient, control and generator directories) is empty in a root at build time, and
    /// while the root is mounted its /run is the host's, whose units are not the guest's. /usr/lib comes before /lib, as in a merged-/usr
    /// Gentoo systemd; on a merged root both are one directory.
    /// </summary>
    public static readonly IReadOnlyList<string> SearchPath = new[]
    {
        "/etc/systemd/system", "/usr/local/lib/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system",
    };

    private const int MaxAliasHops = 8;

    /// <summary>The unit file for <paramref name="name"/>, or null when the root has none.</summary>
    public static SystemdUnitFile? Find(GuestRootFs fs, string name) => Find(fs, name, 0);

    private static SystemdUnitFile? Find(GuestRootFs fs, string name, int hops)
    {
        if (hops > MaxAliasHops)
        {
            return null;
        }

        var names = new List<string> { name };
        var at = name.IndexOf('@');
        var dot = name.LastIndexOf('.');
        if (at > 0 && dot > at + 1)
        {
            names.Add(name[..(at + 1)] + name[dot..]);
        }

        foreach (var candidate in names)
        {
            foreach (var dir in Directories(fs))
            {
                var path = dir + "/" + candidate;
                if (!fs.EntryExists(path))
                {
                    continue;
                }

                var target = fs.LinkTarget(path);
                if (target is null)
                {
                    if (fs.FileExists(path))
                    {
                        return new SystemdUnitFile(candidate, path, Masked: false);
                    }

                    continue;
                }

                if (target == "/dev/null")
                {
                    return new SystemdUnitFile(candidate, path, Masked: true);
                }

                var targetName = System.IO.Path.GetFileName(target.TrimEnd('/'));
                if (targetName != candidate)
                {
                    // An alias: the unit is the one the link names.
                    return Find(fs, targetName, hops + 1);
                }

                string resolved;
                try
                {
                    resolved = fs.ResolveInRoot(path);
                }
                catch (GentooImageException)
                {
                    continue; // A link loop (e.g. left by an older module version): not a unit.
                }

                if (resolved != path && fs.FileExists(resolved))
                {
                    // A linked unit file (same name elsewhere): systemd installs the file it points at.
                    return new SystemdUnitFile(candidate, resolved, Masked: false);
                }
            }
        }

        return null;
    }

    private static IEnumerable<string> Directories(GuestRootFs fs)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var dir in SearchPath)
        {
            string real;
            try
            {
                real = fs.Resolve(dir);
            }
            catch (GentooImageException)
            {
                continue;
            }

            if (Directory.Exists(real) && seen.Add(real))
            {
                yield return dir;
            }
        }
    }
}
