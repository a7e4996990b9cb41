using System.Buffers.Binary;

namespace GentooImage.Engine.Image;

/// <summary>
/// What grub-bios-setup does for an embedded core image, done on a plain image file (the tool
/// itself refuses files): GRUB's boot.img code into the MBR (keeping the disk signature and the
/// partition table), the core image's LBA into boot.img's kernel-sector field, the drive check
/// disabled, and the blocklist at the end of core.img's first sector (diskboot.img) pointing at
/// the rest of the core image. Offsets are from GRUB's boot.S and diskboot.S.
/// </summary>
internal static class GrubBiosSetup
{
    /// <summary>Bytes of boot code in an MBR (the disk signature starts at 440).</summary>
    public const int BootCodeSize = 440;

    /// <summary>GRUB_BOOT_MACHINE_KERNEL_SECTOR: the 8-byte LBA of core.img's first sector.</summary>
    public const int KernelSectorOffset = 0x5C;

    /// <summary>GRUB_BOOT_MACHINE_DRIVE_CHECK: a 2-byte jump that BIOSes with broken drive numbers need NOPped.</summary>
    public const int DriveCheckOffset = 0x66;

    /// <summary>diskboot.img's first blocklist entry: start (8), length (2), segment (2) at the end of the sector.</summary>
    public const int BlocklistOffset = 512 - 12;

    public const ushort CoreSegment = 0x820;

    /// <summary>Returns the new MBR: <paramref name="bootImg"/>'s code patched to load the core image at <paramref name="coreLba"/>.</summary>
    public static byte[] PatchMbr(ReadOnlySpan<byte> bootImg, ReadOnlySpan<byte> currentMbr, long coreLba)
    {
        if (bootImg.Length != 512 || currentMbr.Length != 512)
        {
            throw new ArgumentException("boot.img and the MBR must be 512 bytes.");
        }

        var mbr = currentMbr.ToArray();
        bootImg[..BootCodeSize].CopyTo(mbr);
        BinaryPrimitives.WriteInt64LittleEndian(mbr.AsSpan(KernelSectorOffset), coreLba);
        mbr[DriveCheckOffset] = 0x90;
        mbr[DriveCheckOffset + 1] = 0x90;
        mbr[510] = 0x55;
        mbr[511] = 0xAA;
        return mbr;
    }

    /// <summary>Sets the blocklist in core.img's first sector for a core image stored contiguously at <paramref name="coreLba"/>.</summary>
    public static byte[] PatchCore(ReadOnlySpan<byte> coreImg, long coreLba)
    {
        var sectors = (coreImg.Length + 511) / 512;
        var core = new byte[sectors * 512];
        coreImg.CopyTo(core);
        BinaryPrimitives.WriteInt64LittleEndian(core.AsSpan(BlocklistOffset), coreLba + 1);
        BinaryPrimitives.WriteUInt16LittleEndian(core.AsSpan(BlocklistOffset + 8), (ushort)(sectors - 1));
        BinaryPrimitives.WriteUInt16LittleEndian(core.AsSpan(BlocklistOffset + 10), CoreSegment);
        return core;
    }
}
