namespace GentooImage.Engine.Boot;

/// <summary>
/// A built Xen test host in its cache directory: the hypervisor (ELF, as QEMU's multiboot loader
/// wants it), the dom0 kernel and initramfs, the dom0 root as an ext4 disk image, and the Debian
/// package versions it was made from. Read-only once built: QEMU runs the dom0 disk with -snapshot.
/// </summary>
public sealed record XenHost(string Directory)
{
    /// <summary>The dom0's PID 1 (Boot/Scripts/xen-dom0-init.sh), installed by <see cref="XenHostBuilder"/>.</summary>
    public const string InitPath = "/sbin/gentooimage-xen-init";

    /// <summary>Xen itself, gunzipped from Debian's /boot/xen-4.17-amd64.gz.</summary>
    public string Hypervisor => Path.Combine(Directory, "xen");

    public string Dom0Kernel => Path.Combine(Directory, "vmlinuz");

    public string Dom0Initrd => Path.Combine(Directory, "initrd.img");

    public string Dom0Disk => Path.Combine(Directory, "dom0.img");

    /// <summary>"package version" lines of the packages the host was built from.</summary>
    public string VersionsFile => Path.Combine(Directory, "versions");

    /// <summary>Whether every file of a finished build is there.</summary>
    public bool IsComplete =>
        new[] { Hypervisor, Dom0Kernel, Dom0Initrd, Dom0Disk, VersionsFile }.All(File.Exists);

    /// <summary>The installed version of each package the recipe names.</summary>
    public IReadOnlyDictionary<string, string> Versions =>
        File.ReadAllLines(VersionsFile)
            .Select(l => l.Split(' ', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);

    /// <summary>Xen's Debian package version, for reports (e.g. 4.17.7+13-g2445b30a44-0+deb12u1).</summary>
    public string XenVersion =>
        Versions.TryGetValue(XenHostRecipe.HypervisorPackage, out var v) ? v : "unknown";
}
