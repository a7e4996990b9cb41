using System.Management.Automation;
using GentooImage.Engine.Platform;

namespace GentooImage;

/// <summary>
/// The one place that turns engine exceptions into ErrorRecords. The ErrorId is the
/// <see cref="ErrorKind"/> member name, so it is stable; the category is chosen per kind.
/// </summary>
internal static class ErrorRecords
{
    public static ErrorRecord From(Exception exception, object? fallbackTarget)
    {
        switch (exception)
        {
            case GentooImageException gi:
                return new ErrorRecord(gi, gi.Kind.ToString(), CategoryOf(gi.Kind), gi.Target ?? fallbackTarget);
            case OperationCanceledException oce:
                var cancelled = OperationContext.Cancelled(null, oce);
                return new ErrorRecord(cancelled, nameof(ErrorKind.OperationCancelled), ErrorCategory.OperationStopped, fallbackTarget);
            case UnauthorizedAccessException:
                return new ErrorRecord(exception, "AccessDenied", ErrorCategory.PermissionDenied, fallbackTarget);
            case ArgumentException:
                return new ErrorRecord(exception, nameof(ErrorKind.InvalidArgument), ErrorCategory.InvalidArgument, fallbackTarget);
            case IOException:
                return new ErrorRecord(exception, "IOError", ErrorCategory.WriteError, fallbackTarget);
            default:
                return new ErrorRecord(exception, "UnexpectedError", ErrorCategory.NotSpecified, fallbackTarget);
        }
    }

    public static ErrorCategory CategoryOf(ErrorKind kind) => kind switch
    {
        ErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
        ErrorKind.NotRoot => ErrorCategory.PermissionDenied,
        ErrorKind.ToolMissing => ErrorCategory.NotInstalled,
        ErrorKind.ToolFailed => ErrorCategory.InvalidResult,
        ErrorKind.OperationCancelled => ErrorCategory.OperationStopped,
        ErrorKind.BuildRootNotFound => ErrorCategory.ObjectNotFound,
        ErrorKind.RootNotEmpty => ErrorCategory.ResourceExists,
        ErrorKind.BuildRootStateInvalid => ErrorCategory.InvalidData,
        ErrorKind.UnsafeRootPath => ErrorCategory.SecurityError,
        ErrorKind.UnsafeCachePath => ErrorCategory.SecurityError,
        ErrorKind.UnsafeOutputPath => ErrorCategory.SecurityError,
        ErrorKind.NotABuildRoot => ErrorCategory.InvalidArgument,
        ErrorKind.NotAKernelConfig => ErrorCategory.InvalidData,
        ErrorKind.BuildRootLocked => ErrorCategory.ResourceBusy,
        ErrorKind.BuildRootIncomplete => ErrorCategory.InvalidData,
        ErrorKind.Stage3NotFound => ErrorCategory.ObjectNotFound,
        ErrorKind.Stage3DownloadFailed => ErrorCategory.ConnectionError,
        ErrorKind.Stage3DigestMismatch => ErrorCategory.SecurityError,
        ErrorKind.Stage3SignatureInvalid => ErrorCategory.SecurityError,
        ErrorKind.Stage3TooOld => ErrorCategory.InvalidData,
        ErrorKind.Stage3DigestsMissing => ErrorCategory.ObjectNotFound,
        ErrorKind.UnsafeArchiveEntry => ErrorCategory.SecurityError,
        ErrorKind.BuildRootBusy => ErrorCategory.ResourceBusy,
        ErrorKind.MountFailed => ErrorCategory.InvalidOperation,
        ErrorKind.UnsafeMountPoint => ErrorCategory.SecurityError,
        ErrorKind.RootNotMounted => ErrorCategory.InvalidOperation,
        ErrorKind.ChrootScriptFailed => ErrorCategory.InvalidResult,
        ErrorKind.ChrootScriptTimedOut => ErrorCategory.OperationTimeout,
        ErrorKind.KernelSourceNotFound => ErrorCategory.ObjectNotFound,
        ErrorKind.KernelConfigInvalid => ErrorCategory.ParserError,
        ErrorKind.KernelConfigUnmet => ErrorCategory.InvalidResult,
        ErrorKind.ImageExists => ErrorCategory.ResourceExists,
        ErrorKind.ImageTooSmall => ErrorCategory.InvalidArgument,
        ErrorKind.KernelNotFound => ErrorCategory.ObjectNotFound,
        ErrorKind.ImageBuildFailed => ErrorCategory.WriteError,
        ErrorKind.BootFailed => ErrorCategory.InvalidResult,
        ErrorKind.BootTimedOut => ErrorCategory.OperationTimeout,
        ErrorKind.GuestConfigFailed => ErrorCategory.InvalidOperation,
        _ => ErrorCategory.NotSpecified,
    };
}
