namespace GentooImage.Engine.Model;

/// <summary>The file format of a disk image.</summary>
public enum DiskImageFormat
{
    /// <summary>A raw, sparse disk image.</summary>
    Raw,
    /// <summary>QEMU copy-on-write v2, converted from the raw image with qemu-img.</summary>
    Qcow2,
}
