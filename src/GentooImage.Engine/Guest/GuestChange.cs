namespace GentooImage.Engine.Guest;

/// <summary>
/// One change Initialize-CloudGuest makes to a root: planned first (nothing touched), shown by
/// -WhatIf, then applied. Paths are inside the root.
/// </summary>
public sealed record GuestChange
{
    public required GuestPart Part { get; init; }

    public required GuestChangeKind Kind { get; init; }

    /// <summary>The path inside the root ("/etc/inittab"), or null for a kernel argument.</summary>
    public string? Path { get; init; }

    /// <summary>File content (WriteFile), link target (Symlink) or the argument (KernelArgument).</summary>
    public string? Value { get; init; }

    /// <summary>Mode for a new file (WriteFile); an existing file keeps its own.</summary>
    public UnixFileMode? Mode { get; init; }

    /// <summary>What the change does, in one line ("link /etc/runlevels/default/sshd -> /etc/init.d/sshd").</summary>
    public required string Description { get; init; }

    public override string ToString() => $"{Part}: {Description}";
}
