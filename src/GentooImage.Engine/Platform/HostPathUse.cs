namespace GentooImage.Engine.Platform;

/// <summary>What a host path is for, which decides the places <see cref="HostPathPolicy"/> allows.</summary>
public enum HostPathUse
{
    /// <summary>A build root: a directory the module fills, mounts on and may empty.</summary>
    BuildRoot,
    /// <summary>A cache directory the module writes to or binds into a root.</summary>
    Cache,
    /// <summary>The directory an image file is written to.</summary>
    Image,
    /// <summary>The directory a log file is written to.</summary>
    Log,
    /// <summary>A kernel .config the module edits.</summary>
    KernelConfig,
}
