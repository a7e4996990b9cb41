namespace GentooImage.Engine.Boot;

/// <summary>Boot Xen in QEMU instead of the image: the host to boot and the dom0 command line that names the guest.</summary>
public sealed record XenBoot(XenHost Host, string Dom0CommandLine);
