namespace GentooImage.Engine.Kernel;

/// <summary>Replaces a config file atomically: a fresh temporary file beside it, flushed to disk, renamed over it.</summary>
internal static class ConfigFileWriter
{
    public static void WriteAtomic(string path, string text)
    {
        // A fresh random name opened with CreateNew (O_EXCL): never writes through a planted symlink.
        var tmp = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.gentooimage.tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                var bytes = System.Text.Encoding.UTF8.GetBytes(text);
                fs.Write(bytes);
                fs.Flush(flushToDisk: true);
            }

            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            File.Delete(tmp);
            throw;
        }
    }
}
