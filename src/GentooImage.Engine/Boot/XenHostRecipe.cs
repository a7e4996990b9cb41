using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace GentooImage.Engine.Boot;

/// <summary>
/// What the Xen test host is made of: Debian bookworm's own Xen 4.17 (hypervisor, xl, xenstored),
/// a Debian kernel as dom0, GRUB's Xen builds (pvgrub2 for PV and PVH guests) and the HVM device
/// model, with GentooImage's dom0 init. The cache key hashes all of it together with the versions
/// the host's apt would install, so a Debian point release builds a new host.
/// </summary>
public static class XenHostRecipe
{
    public const string Suite = "bookworm";

    /// <summary>
    /// The apt sources of the dom0 root: bookworm with its updates and security suites, as a Debian
    /// host has them (so the versions installed are the ones the host's apt-cache reports, which the
    /// cache key uses).
    /// </summary>
    public static readonly IReadOnlyList<string> Sources = new[]
    {
        "deb http://deb.debian.org/debian bookworm main",
        "deb http://deb.debian.org/debian bookworm-updates main",
        "deb http://deb.debian.org/debian-security bookworm-security main",
    };

    public const string HypervisorPackage = "xen-hypervisor-4.17-amd64";

    /// <summary>Bumped when a build step changes in a way the package list and the init script do not show.</summary>
    public const string Version = "2";

    /// <summary>The packages, each for a reason.</summary>
    public static readonly IReadOnlyList<string> Packages = new[]
    {
        HypervisorPackage,    // /boot/xen-4.17-amd64.gz: the hypervisor QEMU boots
        "xen-utils-4.17",     // xl, xenstored, xenconsoled, pygrub, Debian's /etc/init.d/xen
        "qemu-system-xen",    // the device model of HVM guests
        "grub-xen-host",      // pvgrub2: grub-x86_64-xen.bin (PV) and grub-i386-xen_pvh.bin (PVH)
        "linux-image-amd64",  // the dom0 kernel (with xen-blkback, xen-netback)
        "initramfs-tools",    // its initramfs (virtio_blk is a module)
        "kmod",               // modprobe for the backends
        "mount",              // mount (not in the essential set)
        "iproute2",           // the bridge the guest's vif plugs into
    };

    /// <summary>The dom0's PID 1.</summary>
    public static string InitScript()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("GentooImage.Engine.Boot.Scripts.xen-dom0-init.sh")
            ?? throw new InvalidOperationException("The engine has no embedded xen-dom0-init.sh.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>
    /// The cache key: the first 16 hex digits of the SHA-256 of the recipe, the init script and
    /// <paramref name="candidates"/> (package → the version apt would install, "unknown" when apt
    /// does not say).
    /// </summary>
    public static string KeyOf(IReadOnlyDictionary<string, string> candidates)
    {
        var text = new StringBuilder().Append(Suite).Append('\n').Append(Version).Append('\n').AppendJoin('\n', Sources).Append('\n');
        foreach (var p in Packages)
        {
            text.Append(p).Append(' ').Append(candidates.TryGetValue(p, out var v) ? v : "unknown").Append('\n');
        }

        text.Append(InitScript());
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16].ToLowerInvariant();
    }

    /// <summary>Parses `apt-cache policy` output into package → candidate version (packages apt does not know are left out).</summary>
    public static IReadOnlyDictionary<string, string> ParseCandidates(string aptCachePolicy)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        string? package = null;
        foreach (var raw in aptCachePolicy.Split('\n'))
        {
            var line = raw.TrimEnd();
            if (line.Length > 0 && !char.IsWhiteSpace(line[0]) && line.EndsWith(':'))
            {
                package = line[..^1];
            }
            else if (package is not null && line.TrimStart().StartsWith("Candidate:", StringComparison.Ordinal))
            {
                var version = line.TrimStart()["Candidate:".Length..].Trim();
                if (version.Length > 0 && version != "(none)")
                {
                    result[package] = version;
                }

                package = null;
            }
        }

        return result;
    }
}
