using GentooImage.Engine.Platform;
using Xunit;

namespace GentooImage.Engine.Tests;

public class TextWrapTests
{
    [Fact]
    public void BreaksAtSpacesWithinTheWidth()
    {
        var lines = TextWrap.Lines("dos, 1 partition as recorded: partition 1 starts at sector 2048", 20);
        Assert.All(lines, l => Assert.True(l.Length <= 20, l));
        Assert.Equal("dos, 1 partition as recorded: partition 1 starts at sector 2048", string.Join(' ', lines));
    }

    [Fact]
    public void CutsAWordLongerThanTheWidthAndLosesNothing()
    {
        var path = "/var/tmp/gentoo/out/a-very-long-image-name.img";
        var lines = TextWrap.Lines("at " + path, 10);
        Assert.All(lines, l => Assert.True(l.Length <= 10, l));
        Assert.Equal("at" + path, string.Concat(lines));
    }

    [Fact]
    public void KeepsLineBreaksAndEmptyText()
    {
        Assert.Equal(new[] { "a b", "c" }, TextWrap.Lines("a b\nc", 80));
        Assert.Equal(new[] { string.Empty }, TextWrap.Lines(null, 80));
    }

    [Fact]
    public void HangingIndentsContinuationLinesUnderTheText()
    {
        var text = TextWrap.Hanging("PASS   Checksum            ", "sha256 of the image matches gentoo.img.sha256 beside it", 50);
        var lines = text.Split('\n');
        Assert.StartsWith("PASS   Checksum            sha256", lines[0], StringComparison.Ordinal);
        Assert.All(lines, l => Assert.True(l.Length <= 50, l));
        Assert.All(lines.Skip(1), l => Assert.StartsWith(new string(' ', 27), l, StringComparison.Ordinal));
    }
}
