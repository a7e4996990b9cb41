namespace GentooImage.Engine.Model;

/// <summary>How Xen runs the guest (xl's <c>type=</c>).</summary>
public enum XenGuestType
{
    /// <summary>Paravirtualised: no emulated hardware; booted by pvgrub2 (or pygrub) from the image's grub.cfg; console hvc0.</summary>
    Pv,

    /// <summary>PVH: a PV guest in a hardware container; booted by pvgrub2's PVH build; needs a kernel with XEN_PVH; console hvc0.</summary>
    Pvh,

    /// <summary>Fully virtualised: SeaBIOS and the image's own GRUB from its boot sector; console ttyS0; PV drivers once Linux runs.</summary>
    Hvm,
}
