namespace GentooImage.Engine.Model;

/// <summary>One partition of an image; Type is the MBR type byte (hex) or the GPT type GUID (upper case).</summary>
public sealed record DiskPartition(int Number, long StartSector, long Sectors, string Type, string? PartUuid, string Label)
{
    public const string LinuxFsGuid = "0FC63DAF-8483-4772-8E79-3D69D8477DE4";
    public const string X86RootGuid = "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709";
    public const string EspGuid = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B";
    public const string BiosBootGuid = "21686148-6449-6E6F-744E-656564454649";

    /// <summary>Byte offset of the partition in the image.</summary>
    public long Offset => StartSector * 512;

    public bool IsRoot => Label == "dos" ? Type == "83" : Type is LinuxFsGuid or X86RootGuid;

    public bool IsEsp => Label == "dos" ? Type == "ef" : Type == EspGuid;

    public bool IsBiosBoot => Label == "gpt" && Type == BiosBootGuid;
}
