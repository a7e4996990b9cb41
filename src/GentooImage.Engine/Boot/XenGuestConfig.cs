using System.Globalization;
using System.Text;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Boot;

/// <summary>
/// The guest under test as Xen's xl sees it, and the command lines that start it: the dom0 kernel's
/// (which carries the xl configuration, base64-encoded, to the dom0 init) and Xen's own.
/// </summary>
public static class XenGuestConfig
{
    public const string GuestName = "gentooimage-guest";

    /// <summary>What the dom0 init prints just before it creates the guest (Boot/Scripts/xen-dom0-init.sh).</summary>
    public const string GuestStartMarker = "gentooimage-xen-host: starting the guest";

    /// <summary>pvgrub2 for PV guests (Debian's grub-xen-host, in dom0).</summary>
    public const string PvGrub = "/usr/lib/grub-xen/grub-x86_64-xen.bin";

    /// <summary>pvgrub2 for PVH guests.</summary>
    public const string PvhGrub = "/usr/lib/grub-xen/grub-i386-xen_pvh.bin";

    /// <summary>The image as dom0 sees it: QEMU's second virtio disk (the first is dom0's root).</summary>
    public const string ImageInDom0 = "/dev/vdb";

    /// <summary>
    /// Xen's command line: its console on QEMU's serial port, a fixed 1 GiB dom0 on one vCPU, and no
    /// reboot on a crash (the log shows it instead).
    /// </summary>
    public const string HypervisorCommandLine = "console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M dom0_max_vcpus=1 noreboot";

    /// <summary>The memory QEMU gives the whole host: dom0's GiB, the guest and Xen's own share.</summary>
    public static int HostMemoryMB(int guestMemoryMB) => 1024 + guestMemoryMB + 512;

    /// <summary>The xl configuration for the image as a <paramref name="type"/> guest.</summary>
    public static string For(XenGuestType type, XenBootLoader loader, int memoryMB)
    {
        if (loader == XenBootLoader.PyGrub && type != XenGuestType.Pv)
        {
            throw new GentooImageException(
                ErrorKind.InvalidArgument,
                $"-XenBootLoader PyGrub boots PV guests only; a {type} guest is booted by {(type == XenGuestType.Pvh ? "pvgrub2 (PvGrub)" : "its own GRUB through SeaBIOS")}. Use -XenGuestType Pv with PyGrub, or leave -XenBootLoader out.",
                loader);
        }

        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"name = \"{GuestName}\"\n");
        sb.Append(CultureInfo.InvariantCulture, $"memory = {memoryMB}\n");
        sb.Append("vcpus = 1\n");
        sb.Append(CultureInfo.InvariantCulture, $"disk = [ \"format=raw,vdev=xvda,access=rw,target={ImageInDom0}\" ]\n");
        // HVM guests get the PV NIC only (type=vif): an emulated one would need a tap device in dom0,
        // and the PVHVM kernel uses xen-netfront either way.
        sb.Append(type == XenGuestType.Hvm ? "vif = [ \"bridge=xenbr0,type=vif\" ]\n" : "vif = [ \"bridge=xenbr0\" ]\n");
        sb.Append("on_poweroff = \"destroy\"\non_reboot = \"destroy\"\non_crash = \"destroy\"\n");
        switch (type)
        {
            case XenGuestType.Pv:
                sb.Append("type = \"pv\"\n");
                sb.Append(loader == XenBootLoader.PyGrub ? "bootloader = \"pygrub\"\n" : $"kernel = \"{PvGrub}\"\n");
                break;
            case XenGuestType.Pvh:
                sb.Append("type = \"pvh\"\n");
                sb.Append(CultureInfo.InvariantCulture, $"kernel = \"{PvhGrub}\"\n");
                break;
            case XenGuestType.Hvm:
                // The console is the emulated UART (xl create -c attaches to it); no display at all.
                sb.Append("type = \"hvm\"\nboot = \"c\"\nserial = \"pty\"\nvga = \"none\"\nvnc = 0\nsdl = 0\n");
                break;
        }

        return sb.ToString();
    }

    /// <summary>The dom0 kernel's command line: root on QEMU's first virtio disk, console hvc0, GentooImage's init and the guest's xl configuration.</summary>
    public static string Dom0CommandLine(string xlConfig) =>
        $"root=/dev/vda rw console=hvc0 quiet init={XenHost.InitPath} gentooimage.xlcfg={Convert.ToBase64String(Encoding.UTF8.GetBytes(xlConfig))}";
}
