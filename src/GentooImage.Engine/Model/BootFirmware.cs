namespace GentooImage.Engine.Model;

/// <summary>Which firmware a disk image boots with.</summary>
public enum BootFirmware
{
    /// <summary>Legacy BIOS: GRUB boot code in the MBR, core image in the post-MBR gap or a BIOS boot partition.</summary>
    Bios,
    /// <summary>UEFI: GRUB as EFI/BOOT/BOOTX64.EFI on an EFI system partition.</summary>
    Uefi,
    /// <summary>Both: boots under BIOS and UEFI.</summary>
    Hybrid,
}
