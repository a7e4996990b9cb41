namespace GentooImage.Engine.Platform;

/// <summary>What stat(2) says of a file, the fields the engine uses (<see cref="LibC.TryStat"/>).</summary>
internal readonly record struct FileStat(ulong Dev, ulong Ino, ulong NLink, uint Mode, uint Uid, uint Gid, ulong RDev, long Size, long Blocks, long MTimeSec, long MTimeNsec, long ATimeSec, long ATimeNsec)
{
    /// <summary>The file-type bits of <see cref="Mode"/> (one of the LibC.S_IF* values).</summary>
    public uint Type => Mode & LibC.S_IFMT;

    public bool IsDirectory => Type == LibC.S_IFDIR;

    public bool IsRegular => Type == LibC.S_IFREG;

    public bool IsSymlink => Type == LibC.S_IFLNK;
}
