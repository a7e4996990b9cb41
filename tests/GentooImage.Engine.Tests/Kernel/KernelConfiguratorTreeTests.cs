using GentooImage.Engine.Kernel;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;
using GentooImage.TestSupport;

namespace GentooImage.Engine.Tests;

/// <summary>
/// Against Debian's real linux-source-6.1 tree (unpacked once into a cache, see KernelSourceCache):
/// each test works on its own copy of an out-of-tree defconfig directory (make O=...).
/// </summary>
public sealed class KernelConfiguratorTreeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gi-kcfg-").FullName;
    private readonly List<string> _warnings = new();
    private readonly List<string> _verbose = new();

    public void Dispose() => Directory.Delete(_dir, true);

    private OperationContext Ctx => new(verbose: m => { lock (_verbose) { _verbose.Add(m); } }, warning: m => { lock (_warnings) { _warnings.Add(m); } });

    private string NewConfig(string name = "obj") => KernelSourceCache.NewDefconfigDir(Path.Combine(_dir, name));

    /// <summary>A copy of the pristine cached tree made of hard links (cheap; kconfig replaces files by rename, never writes through).</summary>
    private static void LinkedTreeCopy(string dest) => FixtureRoot.Run("cp", "-al", KernelSourceCache.Tree, dest);

    [Fact]
    public void OpenStackOnDefconfigShowsTheRealOutcomeAndIsIdempotent()
    {
        var config = NewConfig();
        var original = File.ReadAllText(config);
        var request = new KernelConfigRequest { Presets = new[] { "OpenStack" }, KernelSource = KernelSourceCache.Tree };

        var report = KernelConfigurator.ApplyToFile(config, request, Ctx);

        Assert.Equal(54, report.Rows.Count);
        Assert.Equal(51, report.Holding);
        var failing = report.Rows.Where(r => !r.Holds).ToDictionary(r => r.Symbol);
        Assert.Equal(new[] { "VIRTIO_BLK_SCSI", "XEN_ACPI_PROCESSOR", "XEN_SCRUB_PAGES" }, failing.Keys.Order());
        Assert.Equal(KernelConfigStatus.Unknown, failing["VIRTIO_BLK_SCSI"].Status);
        Assert.Contains("SCSI_VIRTIO", failing["VIRTIO_BLK_SCSI"].Reason);
        Assert.Equal(KernelConfigStatus.Unknown, failing["XEN_SCRUB_PAGES"].Status);
        Assert.Contains("XEN_SCRUB_PAGES_DEFAULT", failing["XEN_SCRUB_PAGES"].Reason);
        Assert.Equal(KernelConfigStatus.DependencyUnmet, failing["XEN_ACPI_PROCESSOR"].Status);
        Assert.Contains("XEN_DOM0", failing["XEN_ACPI_PROCESSOR"].Reason);
        Assert.Null(failing["XEN_ACPI_PROCESSOR"].Actual);

        // Facts read from the tree's Kconfig, not from a table.
        var rows = report.Rows.ToDictionary(r => r.Symbol);
        Assert.Equal(KernelConfigStatus.NotSettable, rows["XEN_PV_SMP"].Status);      // def_bool y
        Assert.Equal(KernelConfigStatus.NotSettable, rows["XEN_HAVE_VPMU"].Status);   // selected by XEN_PV
        Assert.Contains("XEN_PV", rows["XEN_HAVE_VPMU"].Reason);
        Assert.True(rows["XEN_HAVE_VPMU"].Holds);
        Assert.Equal(KernelConfigStatus.Applied, rows["XEN"].Status);
        Assert.Equal(KernelConfigStatus.AlreadySet, rows["SERIAL_8250"].Status);
        Assert.Equal("m", rows["E1000"].Actual);
        Assert.Equal("Preset OpenStack", rows["E1000"].Source);
        Assert.Equal(3, _warnings.Count);
        Assert.Equal("6.1", report.KernelVersion![..3]);

        // The previous file is kept.
        Assert.Equal(original, File.ReadAllText(config + ".old"));

        // Second apply: nothing changes.
        var first = File.ReadAllText(config);
        var again = KernelConfigurator.ApplyToFile(config, request, Ctx);
        Assert.Equal(first, File.ReadAllText(config));
        Assert.Equal(first, File.ReadAllText(config + ".old"));
        Assert.DoesNotContain(again.Rows, r => r.Status == KernelConfigStatus.Applied);
        Assert.Equal(report.Rows.Count(r => r.Status == KernelConfigStatus.Applied) + report.Rows.Count(r => r.Status == KernelConfigStatus.AlreadySet),
            again.Rows.Count(r => r.Status == KernelConfigStatus.AlreadySet));
        Assert.Equal(51, again.Holding);
    }

    [Fact]
    public void LaterSourcesWinInTheOrderPresetFragmentSetting()
    {
        var config = NewConfig();
        var f1 = Path.Combine(_dir, "a.config");
        var f2 = Path.Combine(_dir, "b.config");
        File.WriteAllText(f1, "CONFIG_E1000=y\n# CONFIG_SERIAL_8250_PCI is not set\nCONFIG_XEN_SCRUB_PAGES_DEFAULT=y\n");
        File.WriteAllText(f2, "# CONFIG_XEN_SCRUB_PAGES_DEFAULT is not set\n");
        var report = KernelConfigurator.ApplyToFile(config, new KernelConfigRequest
        {
            Presets = new[] { "KvmDrivers", "SerialConsole", "GuestSupport" },
            FragmentPaths = new[] { f1, f2 },
            Settings = new[] { new KeyValuePair<string, string?>("CONFIG_XEN_SCRUB_PAGES_DEFAULT", "y"), new("XEN_BALLOON", "y") },
            KernelSource = KernelSourceCache.Tree,
        }, Ctx);

        var rows = report.Rows.ToDictionary(r => r.Symbol);
        Assert.Equal(("y", "y", $"{f1}:1"), (rows["E1000"].Requested, rows["E1000"].Actual, rows["E1000"].Source));
        Assert.Equal(("n", $"{f1}:2"), (rows["SERIAL_8250_PCI"].Requested, rows["SERIAL_8250_PCI"].Source));
        Assert.True(rows["SERIAL_8250_PCI"].Holds);
        Assert.Equal("y", rows["XEN_SCRUB_PAGES_DEFAULT"].Requested);
        Assert.StartsWith("-Setting entry 1", rows["XEN_SCRUB_PAGES_DEFAULT"].Source);
        Assert.Equal(KernelConfigStatus.Applied, rows["XEN_SCRUB_PAGES_DEFAULT"].Status);
        var final = KernelConfigFragment.ReadValues(File.ReadAllText(config));
        Assert.Equal("y", final["E1000"]);
        Assert.Equal("n", final["SERIAL_8250_PCI"]);
        // One row per symbol, in first-request order.
        Assert.Equal(report.Rows.Count, report.Rows.Select(r => r.Symbol).Distinct().Count());
        Assert.Equal("E1000", report.Rows[0].Symbol);
    }

    [Fact]
    public void MalformedFragmentLineFailsBeforeAnythingIsWritten()
    {
        var config = NewConfig();
        var before = File.ReadAllText(config);
        var frag = Path.Combine(_dir, "bad.config");
        File.WriteAllText(frag, "CONFIG_E1000=y\n\nCONFIG_VIRTIO=yes please\n");
        var ex = Assert.Throws<GentooImageException>(() => KernelConfigurator.ApplyToFile(config,
            new KernelConfigRequest { Presets = new[] { "Virtio" }, FragmentPaths = new[] { frag }, KernelSource = KernelSourceCache.Tree }, Ctx));
        Assert.Equal(ErrorKind.KernelConfigInvalid, ex.Kind);
        Assert.Equal($"{frag}:3", ex.Target);
        Assert.Equal(before, File.ReadAllText(config));
        Assert.False(File.Exists(config + ".old"));
    }

    [Fact]
    public void StrictTurnsUnmetValuesIntoAnError()
    {
        var config = NewConfig();
        var ex = Assert.Throws<GentooImageException>(() => KernelConfigurator.ApplyToFile(config,
            new KernelConfigRequest { Presets = new[] { "OpenStack" }, Strict = true, KernelSource = KernelSourceCache.Tree }, Ctx));
        Assert.Equal(ErrorKind.KernelConfigUnmet, ex.Kind);
        Assert.Contains("XEN_ACPI_PROCESSOR", ex.Message);
        Assert.Contains("XEN_SCRUB_PAGES", ex.Message);
        Assert.Contains("VIRTIO_BLK_SCSI", ex.Message);
        Assert.StartsWith("3 ", ex.Message);

        // Everything holds: -Strict is quiet.
        var ok = KernelConfigurator.ApplyToFile(config,
            new KernelConfigRequest { Presets = new[] { "KvmDisk", "SerialConsole" }, Strict = true, KernelSource = KernelSourceCache.Tree }, Ctx);
        Assert.Equal(5, ok.Holding);
    }

    [Fact]
    public void BareConfigWithoutTreeIsNotVerified()
    {
        var config = Path.Combine(_dir, "bare.config");
        File.WriteAllText(config, KernelSourceCache.DefconfigText);
        var report = KernelConfigurator.ApplyToFile(config, new KernelConfigRequest { Presets = new[] { "KvmDrivers" } }, Ctx);
        Assert.All(report.Rows, r => Assert.Equal(KernelConfigStatus.NotVerified, r.Status));
        Assert.Contains("CONFIG_E1000=m", File.ReadAllLines(config));
        Assert.Null(report.VerifiedWith);
    }

    [Fact]
    public void BuildRootTreeWithoutConfigGetsDefconfigFirstAndTheStepIsRecorded()
    {
        var rootDir = Path.Combine(_dir, "root");
        FixtureRoot.Create(rootDir);
        var tree = Path.Combine(rootDir, "usr/src/linux-6.1.192");
        var older = Path.Combine(rootDir, "usr/src/linux-5.10.1");
        Directory.CreateDirectory(older); // not a tree: ignored
        LinkedTreeCopy(tree);

        var root = BuildRootStore.Load(rootDir);
        KernelConfigurator.Apply(root, new KernelConfigRequest { Presets = new[] { "KvmDisk" } }, Ctx);

        Assert.Contains(_verbose, m => m.Contains("make defconfig"));
        Assert.Equal(Path.Combine(tree, ".config"), root.KernelConfig!.ConfigPath);
        Assert.Equal(2, root.KernelConfig.Holding);
        var loaded = BuildRootStore.Load(rootDir);
        Assert.Equal("Set-KernelConfig", loaded.History[^1].Step);
        Assert.Equal(StepOutcome.Succeeded, loaded.History[^1].Outcome);
        Assert.Equal(2, loaded.KernelConfig!.Rows.Count);
    }

    [Fact]
    public void DistKernelWritesAPendingFragmentIntoTheRoot()
    {
        var rootDir = Path.Combine(_dir, "dist");
        Directory.CreateDirectory(rootDir);
        var root = BuildRootStore.Load(rootDir);
        KernelConfigurator.Apply(root, new KernelConfigRequest { Presets = new[] { "OpenStack" }, Settings = new[] { new KeyValuePair<string, string?>("E1000", "y") }, DistKernel = true, FragmentName = "50-cloud" }, Ctx);

        var path = Path.Combine(rootDir, "etc/kernel/config.d/50-cloud.config");
        Assert.Equal(path, root.KernelConfig!.ConfigPath);
        Assert.True(root.KernelConfig.Pending);
        var back = KernelConfigFragment.Parse(File.ReadAllText(path), path);
        Assert.Equal(54, back.Count);
        Assert.Contains(back, e => e.Symbol == "E1000" && e.Value == "y");
        Assert.Contains("# CONFIG_XEN_DOM0 is not set", File.ReadAllLines(path));
        Assert.All(root.KernelConfig.Rows, r => Assert.Equal(KernelConfigStatus.NotVerified, r.Status));
        Assert.Empty(_warnings);
    }
    [Fact]
    public void AConfigOutsideTheTreeIsResolvedInAPrivateObjectDirectoryNotBesideTheFile()
    {
        // ~/cfg holds a Makefile of the user's: kbuild's O= directory would overwrite it (and add
        // source, include/, scripts/, .gitignore), so kconfig works in a private directory.
        var cfg = Path.Combine(_dir, "cfg");
        Directory.CreateDirectory(cfg);
        File.WriteAllText(Path.Combine(cfg, "Makefile"), "mine\n");
        var config = Path.Combine(cfg, "cloud.config");
        File.WriteAllText(config, KernelSourceCache.DefconfigText);

        var report = KernelConfigurator.ApplyToFile(config, new KernelConfigRequest { Presets = new[] { "KvmDisk" }, KernelSource = KernelSourceCache.Tree }, Ctx);

        Assert.Equal(config, report.ConfigPath);
        Assert.Equal(2, report.Holding);
        Assert.Contains("CONFIG_SATA_AHCI=y", File.ReadAllLines(config));
        Assert.Equal(KernelSourceCache.DefconfigText, File.ReadAllText(config + ".old"));
        Assert.Equal("mine\n", File.ReadAllText(Path.Combine(cfg, "Makefile")));
        Assert.Equal(new[] { "Makefile", "cloud.config", "cloud.config.old" }, Directory.GetFileSystemEntries(cfg).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        // A missing file is made with defconfig there too, and nothing else appears beside it.
        var fresh = Path.Combine(cfg, "new.config");
        KernelConfigurator.ApplyToFile(fresh, new KernelConfigRequest { Presets = new[] { "KvmDisk" }, KernelSource = KernelSourceCache.Tree }, Ctx);
        Assert.Contains("CONFIG_SATA_AHCI=y", File.ReadAllLines(fresh));
        Assert.Equal(new[] { "Makefile", "cloud.config", "cloud.config.old", "new.config", "new.config.old" }, Directory.GetFileSystemEntries(cfg).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }
    [Fact]
    public void KernelTreesAndFragmentsAreResolvedInsideTheRootNeverOnTheHost()
    {
        // The "host" tree and a "host" secret: a root's links to them name the root's own paths.
        var hostTree = Path.Combine(_dir, "host-linux");
        LinkedTreeCopy(hostTree);
        var secret = Path.Combine(_dir, "shadow");
        File.WriteAllText(secret, "root:$6$hostsecret:19000::::::\n");

        var rootDir = Path.Combine(_dir, "root");
        FixtureRoot.Create(rootDir);
        Directory.CreateDirectory(Path.Combine(rootDir, "usr/src"));
        File.CreateSymbolicLink(Path.Combine(rootDir, "usr/src/linux-6.6"), hostTree);
        var root = BuildRootStore.Load(rootDir);
        var ex = Assert.Throws<GentooImageException>(() => KernelConfigurator.Apply(root, new KernelConfigRequest { Presets = new[] { "KvmDisk" } }, Ctx));
        Assert.Equal(ErrorKind.KernelSourceNotFound, ex.Kind);
        Assert.False(File.Exists(Path.Combine(hostTree, ".config")));

        // A fragment that links to the host's shadow: the root's (missing) one is written, the host's is neither read nor changed.
        Directory.CreateDirectory(Path.Combine(rootDir, "etc/kernel/config.d"));
        File.CreateSymbolicLink(Path.Combine(rootDir, "etc/kernel/config.d/50-cloud.config"), secret);
        root = BuildRootStore.Load(rootDir);
        KernelConfigurator.Apply(root, new KernelConfigRequest { Presets = new[] { "KvmDisk" }, DistKernel = true, FragmentName = "50-cloud" }, Ctx);
        Assert.Equal("root:$6$hostsecret:19000::::::\n", File.ReadAllText(secret));
        Assert.StartsWith(rootDir + "/", root.KernelConfig!.ConfigPath, StringComparison.Ordinal);
        Assert.DoesNotContain("hostsecret", File.ReadAllText(root.KernelConfig.ConfigPath), StringComparison.Ordinal);
        Assert.Contains("CONFIG_SATA_AHCI=y", File.ReadAllLines(root.KernelConfig.ConfigPath));
    }

    [Fact]
    public void TheTreesOwnConfigNamedThroughALinkIsConfiguredInTheTree()
    {
        // Gentoo's usual call: -ConfigPath /usr/src/linux/.config -KernelSource /usr/src/linux, where
        // /usr/src/linux is a link to linux-6.1-gentoo. kbuild refuses O= on a tree holding a .config.
        var tree = Path.Combine(_dir, "linux-6.1");
        LinkedTreeCopy(tree);
        var link = Path.Combine(_dir, "linux");
        File.CreateSymbolicLink(link, tree);
        File.WriteAllText(Path.Combine(tree, ".config"), KernelSourceCache.DefconfigText);

        var report = KernelConfigurator.ApplyToFile(Path.Combine(link, ".config"), new KernelConfigRequest { Presets = new[] { "KvmDisk" }, KernelSource = link }, Ctx);

        Assert.Equal(Path.Combine(tree, ".config"), report.ConfigPath);
        Assert.Equal(2, report.Holding);
        Assert.Contains("CONFIG_SATA_AHCI=y", File.ReadAllLines(Path.Combine(tree, ".config")));
        Assert.Empty(Directory.GetDirectories(tree, KernelConfigurator.ObjDirPrefix + "*"));
    }
}
