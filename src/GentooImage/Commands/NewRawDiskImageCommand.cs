using System.Management.Automation;
using GentooImage.Engine.Image;
using GentooImage.Engine.Model;
using GentooImage.Validation;

namespace GentooImage.Commands;

/// <summary>
/// New-RawDiskImage: writes a bootable raw (or qcow2) disk image from a build root, without loop
/// devices or mounts, plus &lt;image&gt;.sha256 and &lt;image&gt;.glance.json beside it.
/// </summary>
[Cmdlet(VerbsCommon.New, "RawDiskImage", SupportsShouldProcess = true, DefaultParameterSetName = InputObjectSet)]
[OutputType(typeof(DiskImage))]
public sealed class NewRawDiskImageCommand : GentooCmdletBase
{
    private const string InputObjectSet = "InputObject";
    private const string RootPathSet = "RootPath";

    /// <summary>The build root, as output by the other GentooImage cmdlets.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    public BuildRoot InputObject { get; set; } = null!;

    /// <summary>Any root directory to put into the image.</summary>
    [Parameter(Mandatory = true, ParameterSetName = RootPathSet)]
    [ValidateNotNullOrEmpty]
    public string RootPath { get; set; } = null!;

    /// <summary>The image file to write.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = null!;

    /// <summary>Virtual size: bytes or a number with K/M/G/T (e.g. 4GB). Default: used size x 1.3 + 256 MiB.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Size { get; set; }

    [Parameter]
    public BootFirmware Firmware { get; set; } = BootFirmware.Bios;

    /// <summary>Default: Mbr for Bios, Gpt for Uefi and Hybrid.</summary>
    [Parameter]
    public PartitionTableKind PartitionTable { get; set; }

    [Parameter]
    [ValidateSet("ext4")]
    public string FileSystem { get; set; } = "ext4";

    [Parameter]
    [ValidateLength(1, 16)]
    [ValidateNoControlCharacters]
    public string Label { get; set; } = "cloudimg-rootfs";

    [Parameter]
    [ValidateKernelConsole]
    public string[] Console { get; set; } = { "tty0", "hvc0", "ttyS0,115200n8" };

    [Parameter]
    [ValidateNoControlCharacters]
    public string? KernelCommandLine { get; set; }

    /// <summary>The kernel as a path inside the root; default: the newest in /boot.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Kernel { get; set; }

    [Parameter]
    public DiskImageFormat Format { get; set; } = DiskImageFormat.Raw;

    [Parameter]
    public SwitchParameter Compress { get; set; }

    /// <summary>Checksums of the finished image: Sha256 (always, the default) and Sha512 when listed.</summary>
    [Parameter]
    public ImageChecksum[] Checksum { get; set; } = { ImageChecksum.Sha256 };

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override object? Run()
    {
        var image = ResolvePath(Path);
        var rootArg = ParameterSetName == InputObjectSet ? InputObject.Path : ResolvePath(RootPath);
        // Locked while it is read, so no other session changes the tree under the image.
        using var lease = ParameterSetName == InputObjectSet
            ? OpenBuildRoot(rootArg, BuildRootAccess.Change, nameof(InputObject), InputObject)
            : OpenBuildRoot(rootArg, BuildRootAccess.Change, nameof(RootPath), null);

        // A piped BuildRoot records the step; a -RootPath without a state file stays plain (no
        // state file is written into it).
        var buildRoot = ParameterSetName == InputObjectSet || (lease.Root is { } r && File.Exists(r.StatePath)) ? lease.Root : null;
        var request = new DiskImageRequest
        {
            RootPath = lease.Path,
            ImagePath = image,
            Size = Size,
            Firmware = Firmware,
            PartitionTable = MyInvocation.BoundParameters.ContainsKey(nameof(PartitionTable)) ? PartitionTable : null,
            FileSystem = FileSystem,
            Label = Label,
            Console = Console,
            KernelArguments = buildRoot?.KernelArguments.ToArray() ?? Array.Empty<string>(),
            KernelCommandLine = KernelCommandLine,
            Kernel = Kernel,
            Format = Format,
            Compress = Compress.IsPresent,
            Checksums = Checksum,
            Force = Force.IsPresent,
        };

        var layout = RunEngine("Planning the disk image", image, ctx => DiskImageBuilder.Plan(request, ctx));
        WriteVerbose(layout.Describe());
        if (!ShouldProcess(layout.Describe(), "Write disk image"))
        {
            return null;
        }

        return RunEngine("Writing the disk image", image, ctx => DiskImageBuilder.Build(layout, ctx, buildRoot));
    }
}
