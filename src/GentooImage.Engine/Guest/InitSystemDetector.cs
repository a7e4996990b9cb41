using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Guest;

/// <summary>Tells the init system of a root (OpenRC, systemd or busybox init) from what is installed, with the reason.</summary>
internal static class InitSystemDetector
{
    public static InitSystem Detect(GuestRootFs fs, out string why)
    {
        var init = fs.FileExists("/sbin/init") ? fs.ResolveInRoot("/sbin/init") : null;
        var openrc = fs.FirstFile("/sbin/openrc", "/usr/sbin/openrc", "/sbin/openrc-init", "/usr/sbin/openrc-init");
        var systemd = fs.FirstFile("/usr/lib/systemd/systemd", "/lib/systemd/systemd");
        if (init is not null && init.EndsWith("/systemd", StringComparison.Ordinal))
        {
            why = $"/sbin/init is {init}";
            return InitSystem.Systemd;
        }

        if (init is not null && Path.GetFileName(init) == "busybox" && openrc is null && systemd is null)
        {
            why = "/sbin/init is busybox and neither OpenRC nor systemd is installed";
            return InitSystem.BusyboxInit;
        }

        if (openrc is not null)
        {
            why = $"{openrc} is present";
            return InitSystem.OpenRC;
        }

        if (systemd is not null)
        {
            why = $"{systemd} is present";
            return InitSystem.Systemd;
        }

        if (fs.DirectoryExists("/etc/runlevels"))
        {
            why = "/etc/runlevels is present";
            return InitSystem.OpenRC;
        }

        throw new GentooImageException(
            ErrorKind.GuestConfigFailed,
            $"Cannot tell the init system of '{fs.Root}': it has no /sbin/openrc, no systemd (/lib/systemd/systemd), no busybox /sbin/init and no /etc/runlevels. " +
            "Pass -InitSystem OpenRC, Systemd or BusyboxInit, or check that the path is an extracted stage3.",
            fs.Root);
    }
}
