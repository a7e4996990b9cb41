namespace GentooImage.Engine.Model;

/// <summary>What Test-RawDiskImage boots an image under.</summary>
public enum Hypervisor
{
    /// <summary>QEMU directly (KVM when it really works, else TCG): the KVM guest OpenStack's libvirt driver makes.</summary>
    Kvm,

    /// <summary>Debian's Xen 4.17 hypervisor and a dom0, themselves inside QEMU; the image is the domU.</summary>
    Xen,
}
