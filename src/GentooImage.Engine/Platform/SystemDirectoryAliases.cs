namespace GentooImage.Engine.Platform;

/// <summary>Finds a path that is the host's <c>/</c> or a system directory reached another way (a bind mount), by device and inode.</summary>
internal static class SystemDirectoryAliases
{
    /// <summary>
    /// Refuses a path that is (or lies below) the host's <c>/</c> or a system directory reached
    /// another way, e.g. through a bind mount: compared by device and inode.
    /// </summary>
    public static string? WhyAlias(string canonical)
    {
        var identities = new Dictionary<(ulong, ulong), string>();
        foreach (var s in HostPathPolicy.SystemDirectories.Append("/"))
        {
            if (FileIdentity.Of(s) is { } id)
            {
                identities.TryAdd(id, s);
            }
        }

        for (var p = canonical; p is not null; p = System.IO.Path.GetDirectoryName(p))
        {
            if (p == "/")
            {
                break;
            }

            if (FileIdentity.Of(p) is { } id && identities.TryGetValue(id, out var same) && same != p)
            {
                return $"'{p}' is the host's '{same}' reached another way (a bind mount)";
            }
        }

        return null;
    }
}
