namespace GentooImage.Engine.Chroot;

/// <summary>How Invoke-GentooChroot runs a script inside a build root.</summary>
public sealed record ChrootOptions
{
    /// <summary>The script text (written into the root verbatim, never interpolated on the host).</summary>
    public required string Script { get; init; }

    /// <summary>The shell inside the root; null: /bin/bash, falling back to /bin/sh.</summary>
    public string? Shell { get; init; }

    /// <summary>Skip the preamble (env-update, . /etc/profile).</summary>
    public bool NoProfile { get; init; }

    /// <summary>Variables added to the script's otherwise clean environment.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Host path of the log file; null: a new log under the root's /var/log/gentooimage/.</summary>
    public string? LogPath { get; init; }

    /// <summary>Append to an existing <see cref="LogPath"/> instead of refusing it.</summary>
    public bool AppendLog { get; init; }

    /// <summary>Run even when the root is not mounted by Mount-BuildFilesystems.</summary>
    public bool AllowUnmounted { get; init; }

    /// <summary>Kill the script's whole process tree after this long (ChrootScriptTimedOut).</summary>
    public TimeSpan? Timeout { get; init; }
}
