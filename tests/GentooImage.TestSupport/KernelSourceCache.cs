using System.Diagnostics;
using System.Security.Cryptography;

namespace GentooImage.TestSupport;

/// <summary>
/// Debian's linux-source-6.1 tarball, unpacked ONCE into a cache outside the repository
/// (/var/cache/gentooimage-tests/linux-source-6.1-&lt;hash&gt;/) and reused while complete (a marker
/// file is written last). Also keeps an out-of-tree x86_64 defconfig build directory
/// (<c>make O=&lt;dir&gt; defconfig</c>, so scripts/kconfig/conf is built once); tests copy it with
/// <see cref="NewDefconfigDir"/> and run kconfig with <c>make O=&lt;copy&gt;</c>, so they never share a .config.
/// The tree itself stays clean (no .config) and is never written by tests.
/// </summary>
public static class KernelSourceCache
{
    public const string Tarball = "/usr/src/linux-source-6.1.tar.xz";
    public const string CacheRoot = "/var/cache/gentooimage-tests";
    private const string Marker = ".gentooimage-complete";
    private const string MarkerText = "layout=2\n";
    private static readonly object s_lock = new();
    private static string? s_dir;

    /// <summary>True when the tarball is installed (apt-get install linux-source-6.1).</summary>
    public static bool Available => File.Exists(Tarball);

    /// <summary>The cache directory for this tarball (tree/ and defconfig/ inside).</summary>
    public static string Directory
    {
        get
        {
            lock (s_lock)
            {
                return s_dir ??= Prepare();
            }
        }
    }

    /// <summary>The pristine kernel tree.</summary>
    public static string Tree => Path.Combine(Directory, "tree");

    /// <summary>The x86_64 defconfig .config text.</summary>
    public static string DefconfigText => File.ReadAllText(Path.Combine(Directory, "defconfig", ".config"));

    /// <summary>Copies the prepared out-of-tree defconfig build directory to <paramref name="dir"/>; returns its .config path.</summary>
    public static string NewDefconfigDir(string dir)
    {
        var src = Path.Combine(Directory, "defconfig");
        System.IO.Directory.CreateDirectory(dir);
        Run("cp", "-a", src + "/.", dir);
        return Path.Combine(dir, ".config");
    }

    private static string Prepare()
    {
        if (!Available)
        {
            throw new InvalidOperationException($"{Tarball} is missing: apt-get install linux-source-6.1.");
        }

        string hash;
        using (var sha = SHA256.Create())
        using (var fs = File.OpenRead(Tarball))
        {
            hash = Convert.ToHexString(sha.ComputeHash(fs))[..16].ToLowerInvariant();
        }

        var dir = Path.Combine(CacheRoot, $"linux-source-6.1-{hash}");
        System.IO.Directory.CreateDirectory(CacheRoot);

        // Other test processes (xunit, Pester) may prepare the same cache: serialize on a lock file.
        using var lockFile = FixtureCacheLock.Acquire(Path.Combine(CacheRoot, $"linux-source-6.1-{hash}.lock"));
        var marker = Path.Combine(dir, Marker);
        if (File.Exists(marker) && File.ReadAllText(marker) == MarkerText)
        {
            return dir;
        }

        // Built in place (kbuild records absolute paths, so nothing may move afterwards); the
        // marker, written last, says the cache is complete.
        if (System.IO.Directory.Exists(dir))
        {
            System.IO.Directory.Delete(dir, true);
        }

        System.IO.Directory.CreateDirectory(dir);
        Run("tar", "-xJf", Tarball, "-C", dir);
        var top = System.IO.Directory.GetDirectories(dir).Single();
        System.IO.Directory.Move(top, Path.Combine(dir, "tree"));
        var obj = Path.Combine(dir, "defconfig");
        System.IO.Directory.CreateDirectory(obj);
        Run("make", "-s", "-C", Path.Combine(dir, "tree"), $"O={obj}", "ARCH=x86_64", "defconfig");
        File.WriteAllText(marker, MarkerText);
        return dir;
    }

    private static void Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment.Remove("MAKEFLAGS");
        psi.Environment.Remove("MAKELEVEL");
        using var p = Process.Start(psi)!;
        var errTask = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {errTask.Result}");
        }
    }
}
