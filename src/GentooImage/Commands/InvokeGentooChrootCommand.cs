using System.Collections;
using System.Management.Automation;
using GentooImage.Engine.Chroot;
using GentooImage.Engine.Model;

namespace GentooImage.Commands;

/// <summary>
/// Invoke-GentooChroot: writes a script into the root and runs it with chroot in a PID namespace of
/// its own, streaming every output line to the Information stream and a log.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "GentooChroot", SupportsShouldProcess = true, DefaultParameterSetName = InputObjectSet)]
[OutputType(typeof(BuildRoot))]
public sealed class InvokeGentooChrootCommand : BuildRootCmdletBase
{
    /// <summary>The script text.</summary>
    [Parameter(Position = 1)]
    [AllowEmptyString]
    public string? Script { get; set; }

    /// <summary>A host file whose content is the script.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ScriptPath { get; set; }

    /// <summary>The shell inside the root (default /bin/bash, else /bin/sh).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Shell { get; set; }

    /// <summary>Skip env-update and sourcing /etc/profile.</summary>
    [Parameter]
    public SwitchParameter NoProfile { get; set; }

    /// <summary>Extra environment variables for the script.</summary>
    [Parameter]
    public Hashtable? Environment { get; set; }

    /// <summary>Host path of the log file.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? LogPath { get; set; }

    /// <summary>Append to an existing -LogPath instead of refusing it.</summary>
    [Parameter]
    public SwitchParameter Append { get; set; }

    /// <summary>Run even when the root is not mounted.</summary>
    [Parameter]
    public SwitchParameter AllowUnmounted { get; set; }

    /// <summary>Kill the script after this many seconds.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int TimeoutSec { get; set; }

    protected override object? Run()
    {
        if ((Script is null) == (ScriptPath is null))
        {
            ThrowEngineError(new Engine.Platform.GentooImageException(Engine.Platform.ErrorKind.InvalidArgument,
                "Give the script either as -Script (text) or as -ScriptPath (a host file), exactly one of them.", null), null);
        }

        using var lease = OpenBuildRoot(BuildRootAccess.Change);
        var root = lease.Root!;
        var script = Script ?? string.Empty;
        if (ScriptPath is not null)
        {
            var file = ResolvePath(ScriptPath);
            try
            {
                script = File.ReadAllText(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                ThrowEngineError(new Engine.Platform.GentooImageException(Engine.Platform.ErrorKind.InvalidArgument,
                    $"Cannot read -ScriptPath '{file}': {ex.Message}. Give a readable host file.", file, ex), file);
            }
        }

        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Environment is not null)
        {
            foreach (DictionaryEntry e in Environment)
            {
                env[e.Key.ToString()!] = e.Value?.ToString() ?? string.Empty;
            }
        }

        var options = new ChrootOptions
        {
            Script = script,
            Shell = Shell,
            NoProfile = NoProfile.IsPresent,
            Environment = env,
            LogPath = LogPath is null ? null : ResolvePath(LogPath),
            AppendLog = Append.IsPresent,
            AllowUnmounted = AllowUnmounted.IsPresent,
            Timeout = TimeoutSec > 0 ? TimeSpan.FromSeconds(TimeoutSec) : null,
        };

        RunEngine("Checking the chroot request", root.Path, _ => GentooChroot.Check(root, options));
        var description = $"Run in '{root.Path}' with chroot ({Shell ?? "/bin/bash or /bin/sh"}) the script:\n{GentooChroot.ScriptFile(options)}";
        if (!ShouldProcess(description, $"Run a script in '{root.Path}'?", "Invoke-GentooChroot"))
        {
            return null;
        }

        return RunEngine("Running a script in the chroot", root.Path, ctx => GentooChroot.Invoke(root, options, ctx));
    }
}
