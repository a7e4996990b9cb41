namespace GentooImage.Engine.Stage3;

/// <summary>One hash line of a DIGESTS file: algorithm (from the stanza header), hex digest, file name.</summary>
public sealed record DigestEntry(string Algorithm, string Hash, string FileName);
