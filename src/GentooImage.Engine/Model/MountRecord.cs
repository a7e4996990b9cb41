namespace GentooImage.Engine.Model;

/// <summary>One mount the module made on a build root.</summary>
/// <param name="Target">Absolute host path of the mount point.</param>
/// <param name="Source">What is mounted (a host path, or the fs name such as "proc").</param>
/// <param name="Type">File system type, or "bind" / "rbind".</param>
/// <param name="Options">Mount options and propagation, e.g. "gid=5,mode=620,ptmxmode=666,newinstance".</param>
public sealed record MountRecord(string Target, string Source, string Type, string Options)
{
    public override string ToString() => $"{Type} {Source} on {Target} ({Options})";
}
