namespace GentooImage.Engine.Platform;

/// <summary>
/// What went wrong, as a stable identifier. The cmdlet layer turns each kind into an ErrorRecord
/// whose ErrorId is the member name, so renaming a member is a breaking change.
/// </summary>
public enum ErrorKind
{
    /// <summary>An argument was rejected before anything was changed.</summary>
    InvalidArgument,
    /// <summary>The operation needs root (uid 0) and the caller is not root.</summary>
    NotRoot,
    /// <summary>A host tool the operation needs is not installed.</summary>
    ToolMissing,
    /// <summary>A host tool exited with a failure.</summary>
    ToolFailed,
    /// <summary>The user cancelled (Ctrl+C).</summary>
    OperationCancelled,

    // Build root
    BuildRootNotFound,
    RootNotEmpty,
    BuildRootStateInvalid,
    /// <summary>A New-Stage3Root run into the root did not finish; rerun it with -Force.</summary>
    BuildRootIncomplete,

    // Host safety (the root guard)
    /// <summary>A build root path that is the host's / or a system directory (or reaches one), or holds another root.</summary>
    UnsafeRootPath,
    /// <summary>A cache directory that is a system directory.</summary>
    UnsafeCachePath,
    /// <summary>An image or log path that is not a regular file or new name, exists without -Force/-Append, or is in a system directory.</summary>
    UnsafeOutputPath,
    /// <summary>A directory without evidence of being a build root (state file or a stage3 layout).</summary>
    NotABuildRoot,
    /// <summary>A -ConfigPath that is not a kernel .config.</summary>
    NotAKernelConfig,
    /// <summary>Another operation holds the root's lock.</summary>
    BuildRootLocked,

    // Stage3
    Stage3NotFound,
    Stage3DownloadFailed,
    Stage3DigestMismatch,
    Stage3SignatureInvalid,
    Stage3TooOld,
    Stage3DigestsMissing,
    UnsafeArchiveEntry,

    // Mounts
    BuildRootBusy,
    MountFailed,
    UnsafeMountPoint,

    // Chroot
    RootNotMounted,
    ChrootScriptFailed,
    ChrootScriptTimedOut,

    // Kernel
    KernelSourceNotFound,
    KernelConfigInvalid,
    KernelConfigUnmet,

    // Image
    ImageExists,
    ImageTooSmall,
    KernelNotFound,
    ImageBuildFailed,

    // Boot
    BootFailed,
    BootTimedOut,

    // Guest
    GuestConfigFailed,
}
