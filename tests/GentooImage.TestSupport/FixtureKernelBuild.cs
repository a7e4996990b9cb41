namespace GentooImage.TestSupport;

/// <summary>A cached fixture kernel: the .config it was built from, its bzImage and its release.</summary>
public sealed record FixtureKernelBuild(string ConfigPath, string BzImage, string Release);
