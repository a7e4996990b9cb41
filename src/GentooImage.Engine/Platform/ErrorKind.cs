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
