namespace GentooImage.Engine.Guest;

/// <summary>What one planned change does to the root.</summary>
public enum GuestChangeKind
{
    /// <summary>Writes a file (a new one, or the full new content of an existing one, kept in place so its owner and mode stay).</summary>
    WriteFile,

    /// <summary>Creates (or re-points) a symbolic link, as rc-update or systemctl enable would.</summary>
    Symlink,

    /// <summary>Removes a file, link or directory tree.</summary>
    Delete,

    /// <summary>Removes everything inside a directory, keeping the directory.</summary>
    EmptyDirectory,

    /// <summary>Truncates the log files under a directory and removes rotated ones, keeping every directory.</summary>
    TruncateLogs,

    /// <summary>Records an extra kernel argument on the BuildRoot for the image step.</summary>
    KernelArgument,
}
