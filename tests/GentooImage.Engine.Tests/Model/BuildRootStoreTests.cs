using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Tests;

public sealed class BuildRootStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gi-store-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void StateRoundTripsAndOldStateFilesReadAsReady()
    {
        BuildRootStore.Save(new BuildRoot(_dir) { State = BuildRootState.Incomplete });
        Assert.Contains("\"State\": \"Incomplete\"", File.ReadAllText(BuildRootStore.StatePathFor(_dir)));
        var loaded = BuildRootStore.Load(_dir);
        Assert.Equal(BuildRootState.Incomplete, loaded.State);
        var ex = Assert.Throws<GentooImageException>(() => BuildRootStore.ThrowIfIncomplete(loaded));
        Assert.Equal(ErrorKind.BuildRootIncomplete, ex.Kind);
        Assert.Contains("New-Stage3Root -Path " + _dir + " -Force", ex.Message);

        // A state file written before State existed.
        File.WriteAllText(BuildRootStore.StatePathFor(_dir), $"{{ \"Path\": \"{_dir}\", \"IsMounted\": false }}");
        var old = BuildRootStore.Load(_dir);
        Assert.Equal(BuildRootState.Ready, old.State);
        BuildRootStore.ThrowIfIncomplete(old);
        Assert.Equal(BuildRootState.Ready, new BuildRoot(_dir).State);
    }

    [Fact]
    public void SaveRemovesTheTemporaryStateFileOfAKilledSaveButNotALiveOne()
    {
        BuildRootStore.Save(new BuildRoot(_dir));
        var dir = Path.GetDirectoryName(BuildRootStore.StatePathFor(_dir))!;
        var me = OwnerTag.StartTimeOf(Environment.ProcessId)!.Value;
        var dead = Path.Combine(dir, $".state.json.{OwnerTag.Format(Environment.ProcessId, me - 1)}-0123abcd.tmp");
        var live = AtomicFile.TempPathFor(BuildRootStore.StatePathFor(_dir));
        File.WriteAllText(dead, "{");
        File.WriteAllText(live, "{");

        BuildRootStore.Save(new BuildRoot(_dir));

        Assert.False(File.Exists(dead));
        Assert.True(File.Exists(live));
    }

    [Fact]
    public void RoundTripsEveryPart()
    {
        var root = new BuildRoot(_dir)
        {
            Stage3 = new Stage3Info
            {
                FileName = "stage3-amd64-openrc-20260811T083102Z.tar.xz",
                Flavor = "amd64-openrc",
                BuildTimestamp = "20260811T083102Z",
                Size = 42,
                Sha512 = "ab",
                Verification = VerificationResult.SignatureAndDigest,
                SignerFingerprint = "13EBBDBEDE7A12775DFDB1BABB572E0E2D182910",
                Source = "https://example.invalid/x.tar.xz",
            },
            IsMounted = true,
            KernelConfig = new KernelConfigReport
            {
                ConfigPath = "/usr/src/linux/.config",
                Rows = new[] { new KernelConfigRow("VIRTIO_BLK", "y", "y", KernelConfigStatus.Applied, null) },
            },
        };
        root.SetMounts(new[] { new MountRecord(_dir + "/proc", "proc", "proc", "nosuid") });
        root.AddHistory(new HistoryEntry
        {
            Step = "New-Stage3Root",
            Start = DateTimeOffset.UnixEpoch,
            Duration = TimeSpan.FromSeconds(3),
            Outcome = StepOutcome.Succeeded,
            Data = new Dictionary<string, string> { ["exit"] = "0" },
        });

        BuildRootStore.Save(root);
        var back = BuildRootStore.Load(_dir);

        Assert.Equal(_dir, back.Path);
        Assert.Equal(root.Stage3, back.Stage3);
        Assert.True(back.IsMounted);
        Assert.Equal(root.Mounts, back.Mounts);
        Assert.Single(back.History);
        Assert.Equal("0", back.History[0].Data["exit"]);
        Assert.Equal(KernelConfigStatus.Applied, back.KernelConfig!.Rows[0].Status);
        Assert.Equal(_dir, back.ToString());
        Assert.Contains("\"SignatureAndDigest\"", File.ReadAllText(root.StatePath));
    }

    [Fact]
    public void PlainDirectoryGivesAFreshRoot()
    {
        var root = BuildRootStore.Load(_dir + "/");
        Assert.Equal(_dir, root.Path);
        Assert.Null(root.Stage3);
        Assert.Empty(root.History);
    }

    [Fact]
    public void MissingDirectoryIsBuildRootNotFound()
    {
        var ex = Assert.Throws<GentooImageException>(() => BuildRootStore.Load(_dir + "/nope"));
        Assert.Equal(ErrorKind.BuildRootNotFound, ex.Kind);
    }

    [Fact]
    public void CorruptStateIsReportedWithTheFile()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(BuildRootStore.StatePathFor(_dir))!);
        File.WriteAllText(BuildRootStore.StatePathFor(_dir), "{ not json");
        var ex = Assert.Throws<GentooImageException>(() => BuildRootStore.Load(_dir));
        Assert.Equal(ErrorKind.BuildRootStateInvalid, ex.Kind);
        Assert.Contains("state.json", ex.Message);
    }

    [Fact]
    public void AMovedRootTakesItsNewPath()
    {
        var root = new BuildRoot("/somewhere/else");
        Directory.CreateDirectory(Path.GetDirectoryName(BuildRootStore.StatePathFor(_dir))!);
        File.WriteAllText(BuildRootStore.StatePathFor(_dir), BuildRootStore.Serialize(root));
        Assert.Equal(_dir, BuildRootStore.Load(_dir).Path);
    }

    [Fact]
    public void RelativePathsAreRefused() => Assert.Throws<ArgumentException>(() => new BuildRoot("relative/path"));

    [Fact]
    public void SaveNeverWritesThroughASymlinkTheRootPlanted()
    {
        var victim = Path.Combine(_dir, "host-file");
        File.WriteAllText(victim, "host data");
        var root = Path.Combine(_dir, "root");
        Directory.CreateDirectory(Path.Combine(root, "var/lib"));
        // An absolute link inside the root means <root>/host-file to a chroot, never the host's path.
        File.CreateSymbolicLink(Path.Combine(root, "var/lib/gentooimage"), "/elsewhere");
        Directory.CreateDirectory(Path.Combine(root, "elsewhere"));
        File.CreateSymbolicLink(Path.Combine(root, "elsewhere/state.json"), victim);

        BuildRootStore.Save(new BuildRoot(root));

        Assert.Equal("host data", File.ReadAllText(victim));
        var state = Path.Combine(root, "elsewhere/state.json");
        Assert.Null(new FileInfo(state).LinkTarget);
        Assert.Contains("\"Path\"", File.ReadAllText(state), StringComparison.Ordinal);
        Assert.Equal(root, BuildRootStore.Load(root).Path);
    }
}
