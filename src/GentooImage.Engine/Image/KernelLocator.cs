using System.Text.RegularExpressions;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Image;

/// <summary>Finds the kernel (and its initramfs) in a root's /boot.</summary>
internal static partial class KernelLocator
{
    [GeneratedRegex(@"^(vmlinuz|kernel|vmlinux)(-(?<ver>.+))?$|^bzImage(-(?<ver>.+))?$")]
    private static partial Regex KernelName();

    /// <summary>Returns (kernel, initramfs) as paths inside the root.</summary>
    public static (string Kernel, string? Initramfs) Find(string root, string? requested)
    {
        string kernelRel;
        if (requested is not null)
        {
            kernelRel = "/" + requested.TrimStart('/');
            if (!FileCalls.TryLStat(root + kernelRel, out var st) || !st.IsRegular)
            {
                throw new GentooImageException(
                    ErrorKind.KernelNotFound,
                    $"The kernel '{kernelRel}' is not a file in the root '{root}'. Give -Kernel as a path inside the root (e.g. /boot/vmlinuz-6.1.0-gentoo), or leave it out to use the newest kernel in /boot.",
                    root + kernelRel);
            }
        }
        else
        {
            var boot = root + "/boot";
            var candidates = Directory.Exists(boot)
                ? Directory.EnumerateFiles(boot)
                    .Select(Path.GetFileName)
                    .Where(n => n is not null && !n.EndsWith(".old", StringComparison.Ordinal) && KernelName().IsMatch(n))
                    .Where(n => FileCalls.TryLStat(boot + "/" + n, out var st) && st.IsRegular)
                    .Select(n => n!)
                    .ToList()
                : new List<string>();
            if (candidates.Count == 0)
            {
                throw new GentooImageException(
                    ErrorKind.KernelNotFound,
                    $"No kernel in '{boot}' (looked for vmlinuz-*, kernel-*, bzImage). Build and install one in the root first (e.g. 'make install' or sys-kernel/gentoo-kernel-bin), or name it with -Kernel.",
                    boot);
            }

            var newest = candidates
                .OrderByDescending(n => VersionKey(KernelName().Match(n).Groups["ver"].Value), VersionComparer.Instance)
                .ThenByDescending(n => FileCalls.LStat(boot + "/" + n).MTimeSec)
                .First();
            kernelRel = "/boot/" + newest;
        }

        var dir = Path.GetDirectoryName(kernelRel)!;
        var ver = KernelName().Match(Path.GetFileName(kernelRel)).Groups["ver"].Value;
        var names = ver.Length > 0
            ? new[] { $"initramfs-{ver}.img", $"initrd.img-{ver}", $"initramfs-{ver}", $"initrd-{ver}.img", $"initrd-{ver}" }
            : new[] { "initramfs.img", "initrd.img", "initramfs", "initrd" };
        var initrd = names.Select(n => dir.TrimEnd('/') + "/" + n).FirstOrDefault(p => File.Exists(root + p));
        return (kernelRel, initrd);
    }

    private static IReadOnlyList<object> VersionKey(string v) =>
        Regex.Matches(v, @"\d+|[^\d]+").Select(m => m.Value.All(char.IsDigit) ? (object)long.Parse(m.Value[..Math.Min(m.Value.Length, 18)], System.Globalization.CultureInfo.InvariantCulture) : m.Value).ToList();

    private sealed class VersionComparer : IComparer<IReadOnlyList<object>>
    {
        public static readonly VersionComparer Instance = new();

        public int Compare(IReadOnlyList<object>? x, IReadOnlyList<object>? y)
        {
            for (var i = 0; i < Math.Min(x!.Count, y!.Count); i++)
            {
                var c = (x[i], y[i]) switch
                {
                    (long a, long b) => a.CompareTo(b),
                    (long, _) => 1,
                    (_, long) => -1,
                    var (a, b) => string.CompareOrdinal((string)a, (string)b),
                };
                if (c != 0)
                {
                    return c;
                }
            }

            return x.Count.CompareTo(y.Count);
        }
    }
}
