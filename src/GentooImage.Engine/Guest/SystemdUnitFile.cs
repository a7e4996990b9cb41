namespace GentooImage.Engine.Guest;

/// <summary>A unit file found in a root's unit search path: its name (after aliases), its path inside the root, and whether it is masked.</summary>
internal sealed record SystemdUnitFile(string Name, string Path, bool Masked);
