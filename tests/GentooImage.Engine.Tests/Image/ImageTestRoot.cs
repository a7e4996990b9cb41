using GentooImage.TestSupport;

namespace GentooImage.Engine.Tests;

/// <summary>A fixture root with a fake kernel and the things that must stay out of an image, in /tmp/gi-*.</summary>
public sealed class ImageTestRoot : IDisposable
{
    public ImageTestRoot()
    {
        Dir = Path.Combine(Path.GetTempPath(), "gi-img-" + Guid.NewGuid().ToString("N")[..8]);
        Root = FixtureRoot.Create(Path.Combine(Dir, "root"));
        File.WriteAllBytes(Path.Combine(Root, "boot/vmlinuz-6.1.0-fixture"), Enumerable.Range(0, 300_000).Select(i => (byte)(i * 7)).ToArray());
        File.WriteAllBytes(Path.Combine(Root, "boot/vmlinuz-5.15.0-older"), new byte[1000]);
        Put("var/lib/gentooimage/state.json", "{}");
        Put("var/log/gentooimage/chroot.log", "log");
        Put("var/tmp/gentooimage-script-1.sh", "#!/bin/sh\n");
        Put("var/tmp/portage/sys-apps/junk/build.log", "junk");
        Put("run/openrc/started", "x");
        Put("proc/leftover", "x");
        Put("var/tmp/keep-me", "kept");
        Out = Path.Combine(Dir, "out");
        Directory.CreateDirectory(Out);
    }

    public string Dir { get; }

    public string Root { get; }

    public string Out { get; }

    public void Put(string rel, string content)
    {
        var p = Path.Combine(Root, rel);
        Directory.CreateDirectory(Path.GetDirectoryName(p)!);
        File.WriteAllText(p, content);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
