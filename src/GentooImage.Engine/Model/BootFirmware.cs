namespace GentooImage.Engine.Model;

/// <summary>The firmware a disk image is made to boot with, or that a VM boots it with.</summary>
public enum BootFirmware
{
    /// <summary>Legacy BIOS (SeaBIOS under QEMU): GRUB in the MBR and the post-MBR gap or BIOS boot partition.</summary>
    Bios,
    /// <summary>UEFI (OVMF under QEMU): GRUB as EFI/BOOT/BOOTX64.EFI on the ESP.</summary>
    Uefi,
    /// <summary>Both: boots under BIOS and under UEFI.</summary>
    Hybrid,
}
