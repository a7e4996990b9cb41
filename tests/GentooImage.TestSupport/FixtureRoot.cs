using System.Diagnostics;

namespace GentooImage.TestSupport;

/// <summary>
/// Lays out a small root that looks like a Gentoo stage3 to every GentooImage stage: busybox-static
/// as the userland, /etc/gentoo-release, make.conf, a portage user (uid/gid 250), tty group 5, a
/// setuid file, a file with security.capability, a hardlink, a symlink, device nodes and a FIFO.
/// Needs root (device nodes, owners, capabilities) and busybox-static, setcap on the host.
/// </summary>
public static class FixtureRoot
{
    public const int PortageUid = 250;
    public const int PortageGid = 250;

    /// <summary>Creates the root in <paramref name="dir"/> (created if missing) and returns it.</summary>
    public static string Create(string dir, bool withBash = false)
    {
        Directory.CreateDirectory(dir);
        foreach (var d in new[]
                 {
                     "bin", "sbin", "usr/bin", "usr/sbin", "usr/lib", "usr/src", "lib64", "etc/portage", "etc/runlevels/boot",
                     "etc/runlevels/default", "etc/init.d", "etc/conf.d", "etc/local.d", "etc/ssh", "dev", "proc", "sys", "run",
                     "root", "home", "boot", "var/log", "var/lib", "var/cache/distfiles", "var/cache/binpkgs", "var/db/repos",
                 })
        {
            Directory.CreateDirectory(Path.Combine(dir, d));
        }

        MakeDir(dir, "tmp", "1777");
        MakeDir(dir, "var/tmp", "1777");
        MakeDir(dir, "root", "0700");

        var busybox = Path.Combine(dir, "bin/busybox");
        File.Copy("/bin/busybox", busybox, overwrite: true);
        Run("chmod", "0755", busybox);
        foreach (var applet in Run("/bin/busybox", "--list").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (applet == "busybox" || (applet == "bash" && !withBash))
            {
                continue;
            }

            var link = Path.Combine(dir, "bin", applet);
            if (!File.Exists(link))
            {
                File.CreateSymbolicLink(link, "busybox");
            }
        }

        File.CreateSymbolicLink(Path.Combine(dir, "sbin/init"), "../bin/busybox");
        if (withBash)
        {
            File.CreateSymbolicLink(Path.Combine(dir, "bin/bash"), "busybox");
        }

        Write(dir, "etc/gentoo-release", "Gentoo Base System release 2.17\n");
        Write(dir, "etc/os-release", "NAME=Gentoo\nID=gentoo\nPRETTY_NAME=\"Gentoo Linux\"\n");
        File.CreateSymbolicLink(Path.Combine(dir, "usr/lib/os-release"), "../../etc/os-release");
        Write(dir, "etc/portage/make.conf", "COMMON_FLAGS=\"-O2 -pipe\"\nCFLAGS=\"${COMMON_FLAGS}\"\nLC_MESSAGES=C.utf8\n");
        Write(dir, "etc/passwd",
            "root:x:0:0:root:/root:/bin/sh\nportage:x:250:250:portage:/var/lib/portage/home:/sbin/nologin\nnobody:x:65534:65534:nobody:/var/empty:/sbin/nologin\n");
        Write(dir, "etc/group", "root:x:0:\ntty:x:5:\nwheel:x:10:root\nportage:x:250:portage\nnogroup:x:65533:\n");
        Write(dir, "etc/shadow", "root:*:19000:0:::::\nportage:!:19000::::::\n", "0640");
        Write(dir, "etc/hostname", "localhost\n");
        Write(dir, "etc/fstab", "# /etc/fstab: static file system information.\n");
        Write(dir, "etc/profile", "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nexport PROFILE_SOURCED=1\n");
        Write(dir, "etc/resolv.conf", "# fixture resolv.conf\nnameserver 192.0.2.53\n");
        Write(dir, "etc/inittab",
            "::sysinit:/bin/mount -t proc proc /proc\n" +
            "::sysinit:/bin/mount -o remount,rw /\n" +
            "# SERIAL CONSOLES\n" +
            "#s0:12345:respawn:/sbin/agetty -L 115200 ttyS0 vt100\n" +
            "::ctrlaltdel:/sbin/reboot\n");

        // Ownership, special modes, capabilities, links, devices, FIFO: what a real stage3 has.
        Directory.CreateDirectory(Path.Combine(dir, "var/lib/portage/home"));
        Run("chown", "-R", $"{PortageUid}:{PortageGid}", Path.Combine(dir, "var/lib/portage"), Path.Combine(dir, "var/cache/distfiles"));
        Write(dir, "usr/bin/fixture-suid", "#!/bin/sh\necho suid\n", "4755");
        Write(dir, "usr/bin/fixture-sgid", "#!/bin/sh\necho sgid\n", "2755");
        Write(dir, "usr/bin/fixture-ping", "#!/bin/sh\necho ping\n", "0755");
        Run("setcap", "cap_net_raw+ep", Path.Combine(dir, "usr/bin/fixture-ping"));
        Run("setfattr", "-n", "user.gentooimage.fixture", "-v", "kept", Path.Combine(dir, "etc/gentoo-release"));
        Run("ln", Path.Combine(dir, "usr/bin/fixture-sgid"), Path.Combine(dir, "usr/bin/fixture-sgid-hardlink"));
        Run("mknod", "-m", "0666", Path.Combine(dir, "dev/null"), "c", "1", "3");
        Run("mknod", "-m", "0600", Path.Combine(dir, "dev/console"), "c", "5", "1");
        Run("mknod", "-m", "0660", Path.Combine(dir, "dev/fixture-block"), "b", "7", "200");
        Run("mkfifo", "-m", "0600", Path.Combine(dir, "var/lib/fixture.fifo"));
        Run("chown", $"0:{PortageGid}", Path.Combine(dir, "usr/bin/fixture-sgid"));
        Run("touch", "-h", "-d", "2026-08-11 08:31:02", Path.Combine(dir, "usr/lib/os-release"));
        return dir;
    }

    private static void MakeDir(string root, string rel, string mode)
    {
        var p = Path.Combine(root, rel);
        Directory.CreateDirectory(p);
        Run("chmod", mode, p);
    }

    private static void Write(string root, string rel, string content, string mode = "0644")
    {
        var p = Path.Combine(root, rel);
        Directory.CreateDirectory(Path.GetDirectoryName(p)!);
        File.WriteAllText(p, content);
        Run("chmod", mode, p);
    }

    /// <summary>Runs a host tool with an argument vector; throws with its stderr when it fails.</summary>
    public static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {stderr}");
        }

        return stdout.Result;
    }
}
