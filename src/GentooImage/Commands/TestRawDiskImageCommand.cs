using System.Management.Automation;
using System.Runtime.InteropServices;
using GentooImage.Engine.Boot;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;

namespace GentooImage.Commands;

/// <summary>Test-RawDiskImage: static checks of a disk image, and optionally a boot in QEMU.</summary>
[Cmdlet(VerbsDiagnostic.Test, "RawDiskImage")]
[OutputType(typeof(ImageTestResult))]
[OutputType(typeof(bool))]
public sealed class TestRawDiskImageCommand : GentooCmdletBase
{
    /// <summary>The image to test.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = null!;

    /// <summary>The partition table the image should have (Mbr or Gpt); bound from a DiskImage.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("PartitionTable")]
    public string? ExpectedPartitionTable { get; set; }

    /// <summary>The root filesystem UUID the image should have; bound from a DiskImage.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("RootUuid")]
    public string? ExpectedRootUuid { get; set; }

    /// <summary>The root partition's PARTUUID; bound from a DiskImage.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("RootPartUuid")]
    public string? ExpectedRootPartUuid { get; set; }

    /// <summary>Boot the image in QEMU and wait for -Pattern on the serial console.</summary>
    [Parameter]
    public SwitchParameter Boot { get; set; }

    /// <summary>Auto (KVM only when a probe guest really runs), Kvm or Tcg.</summary>
    [Parameter]
    public Accelerator Accelerator { get; set; } = Accelerator.Auto;

    /// <summary>Bios or Uefi; default from the image.</summary>
    [Parameter]
    [ValidateSet("Bios", "Uefi")]
    public string? Firmware { get; set; }

    /// <summary>Guest memory in MiB.</summary>
    [Parameter]
    [ValidateRange(64, 65536)]
    public int MemoryMB { get; set; } = 512;

    /// <summary>How long to wait for -Pattern.</summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public int TimeoutSec { get; set; } = 300;

    /// <summary>Regular expression that means "booted".</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Pattern { get; set; } = @"login:\s*$";

    /// <summary>Commands to run in the guest after logging in on the serial console.</summary>
    [Parameter]
    public string[] Command { get; set; } = Array.Empty<string>();

    /// <summary>User to log in as.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string User { get; set; } = "root";

    /// <summary>Password for -User; none for test images with an empty root password.</summary>
    [Parameter]
    public System.Security.SecureString? Password { get; set; }

    /// <summary>Kvm (QEMU directly, the default) or Xen (Debian's Xen 4.17 and a dom0 inside QEMU; the image is the guest).</summary>
    [Parameter]
    public Hypervisor Hypervisor { get; set; } = Hypervisor.Kvm;

    /// <summary>Under -Hypervisor Xen: Pv (default), Pvh or Hvm.</summary>
    [Parameter]
    public XenGuestType XenGuestType { get; set; } = XenGuestType.Pv;

    /// <summary>Under -Hypervisor Xen with a PV guest: PvGrub (default, pvgrub2 in the guest) or PyGrub (in dom0).</summary>
    [Parameter]
    public XenBootLoader XenBootLoader { get; set; } = XenBootLoader.PvGrub;

    /// <summary>Where to write the serial console log.</summary>
    [Parameter]
    public string? SerialLogPath { get; set; }

    /// <summary>Return only $true or $false.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    protected override void ProcessRecord()
    {
        var image = ResolvePath(Path);
        var options = new ImageTestOptions
        {
            ImagePath = image,
            Expected = new ImageExpectations(ExpectedPartitionTable, ExpectedRootUuid, ExpectedRootPartUuid),
            Boot = Boot.IsPresent || Command.Length > 0 || Hypervisor == Hypervisor.Xen,
            Accelerator = Accelerator,
            Firmware = Firmware is null ? null : Enum.Parse<BootFirmware>(Firmware, ignoreCase: true),
            MemoryMB = MemoryMB,
            Timeout = TimeSpan.FromSeconds(TimeoutSec),
            Pattern = Pattern,
            Commands = Command,
            User = User,
            Password = Password is null ? null : Unprotect(Password),
            SerialLogPath = SerialLogPath is null ? null : ResolvePath(SerialLogPath),
            Hypervisor = Hypervisor,
            XenGuestType = XenGuestType,
            XenBootLoader = XenBootLoader,
        };
        if (Hypervisor != Hypervisor.Xen && (MyInvocation.BoundParameters.ContainsKey(nameof(XenGuestType)) || MyInvocation.BoundParameters.ContainsKey(nameof(XenBootLoader))))
        {
            ThrowEngineError(new GentooImageException(ErrorKind.InvalidArgument, "-XenGuestType and -XenBootLoader apply to Xen boots: add -Hypervisor Xen.", Hypervisor), Hypervisor);
        }

        var result = RunEngine("Testing disk image", image, ctx => new ImageTester().TestAsync(options, ctx).GetAwaiter().GetResult());
        foreach (var failed in result.Checks.Where(c => !c.Passed))
        {
            WriteVerbose($"Check failed: {failed}");
        }

        WriteObject(Quiet.IsPresent ? result.Passed : result);
    }

    private static string Unprotect(System.Security.SecureString secure)
    {
        var ptr = Marshal.SecureStringToGlobalAllocUnicode(secure);
        try
        {
            return Marshal.PtrToStringUni(ptr) ?? string.Empty;
        }
        finally
        {
            Marshal.ZeroFreeGlobalAllocUnicode(ptr);
        }
    }
}
