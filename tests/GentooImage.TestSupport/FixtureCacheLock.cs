namespace GentooImage.TestSupport;

/// <summary>
/// The lock of a fixture cache entry (the test kernel, a guest root): a test waits here while another
/// process (the background cache builder, or a parallel run) builds the entry. In a cold whole run the
/// boot-heavy tests ask for it a minute after the run starts, and the build shares the 2 cores with
/// everything else (56 min once under outside load): so up to 75 min by default, inside CI's 90.
/// </summary>
public static class FixtureCacheLock
{
    public static FileStream Acquire(string path, TimeSpan? wait = null) =>
        GentooImage.Engine.Platform.ExclusiveFile.Wait(path, wait ?? TimeSpan.FromMinutes(75), TimeSpan.FromMilliseconds(1000));
}
