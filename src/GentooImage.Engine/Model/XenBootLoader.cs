namespace GentooImage.Engine.Model;

/// <summary>What loads a Xen PV guest's kernel from the image.</summary>
public enum XenBootLoader
{
    /// <summary>GRUB built for Xen (Debian's grub-xen-host), run inside the guest: reads the image's /boot/grub/grub.cfg.</summary>
    PvGrub,

    /// <summary>pygrub, run in dom0: parses the image's grub.cfg and hands Xen the kernel (PV only).</summary>
    PyGrub,
}
