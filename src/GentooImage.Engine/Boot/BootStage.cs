namespace GentooImage.Engine.Boot;

/// <summary>How far a guest has got on its way to a login prompt, judged from its serial console.</summary>
public enum BootStage
{
    /// <summary>QEMU runs, nothing from the boot loader yet (SeaBIOS or OVMF).</summary>
    Firmware,

    /// <summary>GRUB printed its menu or is loading the kernel.</summary>
    Bootloader,

    /// <summary>The kernel is starting (its first messages).</summary>
    Kernel,

    /// <summary>The kernel ran init (OpenRC, systemd or busybox init).</summary>
    Init,

    /// <summary>A login prompt.</summary>
    Login,
}
