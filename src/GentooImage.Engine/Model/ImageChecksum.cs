namespace GentooImage.Engine.Model;

/// <summary>A checksum New-RawDiskImage computes over the image file.</summary>
public enum ImageChecksum
{
    /// <summary>SHA-256, always computed: it goes into &lt;image&gt;.sha256, the history and DiskImage.Sha256.</summary>
    Sha256,
    /// <summary>SHA-512, only when asked for (DiskImage.Sha512), in the same read of the image.</summary>
    Sha512,
}
