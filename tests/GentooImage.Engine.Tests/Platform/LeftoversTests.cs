using System.Diagnostics;
using System.Text.RegularExpressions;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Tests;

public sealed class LeftoversTests : IDisposable
{
    private static readonly Regex s_pattern = new(@"^gi-thing-o[0-9]+_[0-9]+-[0-9a-f]{8}(\.img)?$");
    private readonly string _dir = Directory.CreateTempSubdirectory("gi-leftovers-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The owner tag of a process that really ran and has ended.</summary>
    private static string DeadOwner()
    {
        using var p = Process.Start(new ProcessStartInfo("sleep", "30"))!;
        var start = OwnerTag.StartTimeOf(p.Id)!.Value;
        p.Kill();
        p.WaitForExit();
        return OwnerTag.Format(p.Id, start);
    }

    [Fact]
    public void RemovesWhatADeadOwnerLeftAndNothingElse()
    {
        var dead = DeadOwner();
        var outside = Path.Combine(_dir, "outside");
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "keep"), "x");

        var deadFile = Path.Combine(_dir, $"gi-thing-{dead}-0123abcd.img");
        File.WriteAllText(deadFile, "image");
        var deadTree = Path.Combine(_dir, $"gi-thing-{dead}-89abcdef");
        Directory.CreateDirectory(Path.Combine(deadTree, "a/b"));
        File.WriteAllText(Path.Combine(deadTree, "a/b/f"), "x");
        File.CreateSymbolicLink(Path.Combine(deadTree, "a/link"), outside);   // never followed

        var mine = Path.Combine(_dir, OwnerTag.UniqueName("gi-thing-"));          // owner alive: kept
        Directory.CreateDirectory(mine);
        var other = Path.Combine(_dir, $"gi-other-{dead}-0123abcd");             // other pattern: kept
        File.WriteAllText(other, "x");
        var untagged = Path.Combine(_dir, "gi-thing-0123abcd");                   // no owner: kept
        File.WriteAllText(untagged, "x");

        var messages = new List<string>();
        var removed = Leftovers.Sweep(_dir, s_pattern, messages.Add);

        Assert.Equal(new[] { deadFile, deadTree }.Order(), removed.Order());
        Assert.False(File.Exists(deadFile));
        Assert.False(Directory.Exists(deadTree));
        Assert.True(File.Exists(Path.Combine(outside, "keep")));
        Assert.True(Directory.Exists(mine));
        Assert.True(File.Exists(other));
        Assert.True(File.Exists(untagged));
        Assert.Equal(2, messages.Count);
        Assert.All(messages, m => Assert.Contains("no longer runs", m));
    }

    [Fact]
    public void ALeftoverNameMadeByAnotherUserIsLeftAlone()
    {
        // In /tmp anyone can make a name of ours; its tree could be swapped for symlinks while it is
        // walked. The tests run as root (Leftovers runs as root in the product): a tree owned by
        // nobody (65534) is never removed, nor is anything below it touched.
        Assert.Equal(0u, LibC.GetEuid());
        var dead = DeadOwner();
        var foreign = Path.Combine(_dir, $"gi-thing-{dead}-89abcdef");
        Directory.CreateDirectory(Path.Combine(foreign, "a"));
        File.WriteAllText(Path.Combine(foreign, "a/f"), "x");
        Chown(foreign, 65534);
        var foreignFile = Path.Combine(_dir, $"gi-thing-{dead}-0123abcd.img");
        File.WriteAllText(foreignFile, "x");
        Chown(foreignFile, 65534);

        var messages = new List<string>();
        Assert.Empty(Leftovers.Sweep(_dir, s_pattern, messages.Add));
        Assert.True(File.Exists(Path.Combine(foreign, "a/f")));
        Assert.True(File.Exists(foreignFile));
        Assert.All(messages, m => Assert.Contains("not owned by this user", m));
        Assert.Equal(2, messages.Count);
    }

    private static void Chown(string path, int uid) => GentooImage.TestSupport.FixtureRoot.Run("chown", "-h", $"{uid}:{uid}", path);

    [Fact]
    public void AReusedPidDoesNotProtectALeftover()
    {
        // Our own pid with another start time: the process that made it is gone, pid reused.
        var me = OwnerTag.StartTimeOf(Environment.ProcessId)!.Value;
        var stale = Path.Combine(_dir, $"gi-thing-{OwnerTag.Format(Environment.ProcessId, me - 1)}-0123abcd");
        File.WriteAllText(stale, "x");
        Assert.Single(Leftovers.Sweep(_dir, s_pattern, null));
        Assert.False(File.Exists(stale));
    }

    [Fact]
    public void TempDirectoriesAreOwnedAndPrivate()
    {
        var dir = Leftovers.CreateTempDirectory("gi-thing-");
        try
        {
            Assert.Matches(s_pattern, Path.GetFileName(dir));
            Assert.Equal("700", Convert.ToString((int)new DirectoryInfo(dir).UnixFileMode, 8));
            Assert.DoesNotContain(dir, Leftovers.Sweep(Path.GetDirectoryName(dir)!, s_pattern, null));
            Assert.True(Directory.Exists(dir));
        }
        finally
        {
            Directory.Delete(dir);
        }
    }

    [Fact]
    public void SweepRootFindsStagingTreesBesideAndInsideTheRootAndChrootScripts()
    {
        var dead = DeadOwner();
        var root = Path.Combine(_dir, "root");
        Directory.CreateDirectory(Path.Combine(root, "var/tmp"));
        var beside = Path.Combine(_dir, $".gentooimage-stage-{dead}-0123abcd");
        var inside = Path.Combine(root, $".gentooimage-stage-{dead}-0123abce");
        var script = Path.Combine(root, "var/tmp", $"gentooimage-{dead}-0123abcf.sh");
        var alive = Path.Combine(root, "var/tmp", OwnerTag.UniqueName("gentooimage-", ".sh"));
        var users = Path.Combine(root, "var/tmp", "gentooimage-notes.sh");
        Directory.CreateDirectory(Path.Combine(beside, "etc"));
        Directory.CreateDirectory(inside);
        File.WriteAllText(script, "x");
        File.WriteAllText(alive, "x");
        File.WriteAllText(users, "x");

        var removed = Leftovers.SweepRoot(root, null);

        Assert.Equal(new[] { beside, inside, script }.Order(), removed.Order());
        Assert.True(File.Exists(alive));
        Assert.True(File.Exists(users));
    }
}
