using GentooImage.Engine.Model;

namespace GentooImage.Engine.Boot;

/// <summary>What Test-RawDiskImage should check.</summary>
public sealed record ImageTestOptions
{
    public required string ImagePath { get; init; }

    public ImageExpectations Expected { get; init; } = new();

    /// <summary>Start the image in QEMU and wait for <see cref="Pattern"/>.</summary>
    public bool Boot { get; init; }

    public Accelerator Accelerator { get; init; } = Accelerator.Auto;

    /// <summary>Firmware to boot with; null: from the image (Bios when it has BIOS boot code).</summary>
    public BootFirmware? Firmware { get; init; }

    public int MemoryMB { get; init; } = 512;

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>Regular expression that means "booted" on the serial console.</summary>
    public string Pattern { get; init; } = @"login:\s*$";

    public IReadOnlyList<string> Commands { get; init; } = Array.Empty<string>();

    public string User { get; init; } = "root";

    public string? Password { get; init; }

    public string? SerialLogPath { get; init; }
}
