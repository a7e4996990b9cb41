namespace GentooImage.Engine.Platform;

/// <summary>
/// Runs external tools. The seam that lets unit tests of pure logic use a fake (e.g.
/// PartitionTableWriterTests checks the sfdisk script without running sfdisk); services take one
/// and default to <see cref="ProcessRunner.Instance"/>.
/// </summary>
public interface IProcessRunner
{
    /// <summary>
    /// Runs the process to the end. Cancellation kills the whole process tree and throws
    /// <see cref="ErrorKind.OperationCancelled"/>; a missing executable throws <see cref="ErrorKind.ToolMissing"/>.
    /// </summary>
    Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken cancellation = default);
}
