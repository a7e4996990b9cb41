using GentooImage.Engine.Kernel;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Tests;

/// <summary>Pure logic: fragment parsing, merging, presets and Kconfig expressions.</summary>
public class KernelConfigFragmentTests
{
    [Fact]
    public void ParsesAllValueKindsAndNotSetLines()
    {
        var e = KernelConfigFragment.Parse("CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=m\nCONFIG_D=\"console=ttyS0\"\nCONFIG_E=0x10\nCONFIG_F=-3\n# a comment\n\nCONFIG_G=n\n", "f");
        Assert.Equal(new[] { "A=y", "B=n", "C=m", "D=\"console=ttyS0\"", "E=0x10", "F=-3", "G=n" }, e.Select(x => $"{x.Symbol}={x.Value}"));
        Assert.Equal("f:2", e[1].Source);
        Assert.Equal("# CONFIG_B is not set", e[1].Line);
        Assert.Equal("# CONFIG_G is not set", e[6].Line); // =n and 'is not set' are the same thing
    }

    [Theory]
    [InlineData("CONFIG_A=yes")]
    [InlineData("CONFIG_A")]
    [InlineData("A=y")]
    [InlineData("CONFIG_A=\"unterminated")]
    public void MalformedLineNamesFileAndLine(string bad)
    {
        var ex = Assert.Throws<GentooImageException>(() => KernelConfigFragment.Parse($"CONFIG_OK=y\n{bad}\n", "/tmp/x.config"));
        Assert.Equal(ErrorKind.KernelConfigInvalid, ex.Kind);
        Assert.Equal("/tmp/x.config:2", ex.Target);
        Assert.Contains("/tmp/x.config:2", ex.Message);
    }

    [Fact]
    public void SettingsTakeNamesWithOrWithoutPrefixAndRejectBadValues()
    {
        Assert.Equal("EXT4_FS", KernelConfigFragment.ParseSetting("CONFIG_EXT4_FS", "y", 1).Symbol);
        Assert.Equal("\"console=ttyS0\"", KernelConfigFragment.ParseSetting("CMDLINE", "\"console=ttyS0\"", 2).Value);
        Assert.Equal(ErrorKind.KernelConfigInvalid, Assert.Throws<GentooImageException>(() => KernelConfigFragment.ParseSetting("X", "maybe", 3)).Kind);
        Assert.Equal(ErrorKind.KernelConfigInvalid, Assert.Throws<GentooImageException>(() => KernelConfigFragment.ParseSetting("bad name", "y", 4)).Kind);
    }

    [Fact]
    public void MergeReplacesInPlaceAndAppendsNewSymbols()
    {
        var cfg = "#\n# header\n#\nCONFIG_A=y\n# CONFIG_B is not set\n\nCONFIG_C=m\n";
        var merged = KernelConfigFragment.Merge(cfg, new[]
        {
            new KernelConfigEntry("B", "y", "t"), new KernelConfigEntry("A", "n", "t"), new KernelConfigEntry("Z", "m", "t"),
        });
        Assert.Equal("#\n# header\n#\n# CONFIG_A is not set\nCONFIG_B=y\n\nCONFIG_C=m\nCONFIG_Z=m\n", merged);
        Assert.Equal(merged, KernelConfigFragment.Merge(merged, new[] { new KernelConfigEntry("Z", "m", "t") }));
    }

    [Fact]
    public void PresetsHoldTheSeedLines()
    {
        Assert.Equal(54, KernelConfigPreset.Lines("OpenStack").Count);
        Assert.Equal(new[] { 2, 3, 15, 11, 22, 1 }, new[] { "KvmDisk", "SerialConsole", "Virtio", "GuestSupport", "XenDrivers", "KvmDrivers" }.Select(p => KernelConfigPreset.Lines(p).Count));
        Assert.Contains("# CONFIG_VIRTIO_INPUT is not set", KernelConfigPreset.Lines("Virtio"));
        Assert.Contains("CONFIG_E1000=m", KernelConfigPreset.Lines("kvmdrivers"));
        // The seed's own lines, extracted from the seed file when it is there.
        const string seed = "/work/shared/seeds/000_a3111a42462e9310.txt";
        if (File.Exists(seed))
        {
            var lines = File.ReadAllLines(seed).Select(l => l.Trim()).Where(l => l.StartsWith("CONFIG_") || (l.StartsWith("# CONFIG_") && l.EndsWith("is not set"))).ToList();
            Assert.Equal(lines, KernelConfigPreset.Lines("OpenStack"));
        }
    }

    [Theory]
    [InlineData("A && B", 1)]
    [InlineData("A || C", 2)]
    [InlineData("!C", 2)]
    [InlineData("!A", 0)]
    [InlineData("B = m", 2)]
    [InlineData("S = \"abc\"", 2)]
    [InlineData("N != 3", 2)]
    [InlineData("N >= 5", 2)]
    [InlineData("(A || C) && !(B = y)", 2)]
    [InlineData("MISSING", 0)]
    [InlineData("$(cc-option,-foo)", 2)]
    [InlineData("m", 1)]
    public void ExpressionsEvaluateInTristateLogic(string expr, int expected)
    {
        var values = new Dictionary<string, string> { ["A"] = "y", ["B"] = "m", ["C"] = "n", ["S"] = "\"abc\"", ["N"] = "5" };
        Assert.Equal(expected, KconfigExpression.Parse(expr).Evaluate(s => values.GetValueOrDefault(s)));
    }

    [Fact]
    public void ConjunctsSplitTopLevelAnd()
    {
        var e = KconfigExpression.Parse("XEN && XEN_DOM0 && (X86 || ARM) && !EXPERT");
        Assert.Equal(new[] { "XEN", "XEN_DOM0", "(X86 || ARM)", "!EXPERT" }, e.Conjuncts().Select(c => c.Text));
    }
}
