using GentooImage.Engine.Boot;
using Xunit;

namespace GentooImage.Engine.Tests;

public class BootStageDetectorTests
{
    [Theory]
    [InlineData("", BootStage.Firmware)]
    [InlineData("SeaBIOS (version 1.16.2-debian-1.16.2-1)\r\nBooting from Hard Disk...\r\n", BootStage.Firmware)]
    [InlineData("\u001b[2J\u001b[01;01H                             GNU GRUB  version 2.06\r\n", BootStage.Bootloader)]
    [InlineData("Booting `Gentoo Linux 6.1.158'\r\n\r\nLoading Linux 6.1.158 ...\r\n", BootStage.Bootloader)]
    [InlineData("Loading Linux ...\r\n[    0.000000] Linux version 6.1.158 (root@host) (gcc 12.2.0) #1 SMP\r\n", BootStage.Kernel)]
    [InlineData("[    1.234567] Run /sbin/init as init process\r\n", BootStage.Init)]
    [InlineData("[    0.1] x\r\n   OpenRC 0.54 is starting up Gentoo Linux (x86_64)\r\n", BootStage.Init)]
    [InlineData("init started: BusyBox v1.35.0\r\n", BootStage.Init)]
    [InlineData("[  OK  ] x\r\nsystemd[1]: Started Journal Service.\r\n", BootStage.Init)]
    [InlineData("Run /sbin/init as init process\r\n\r\ngentoo-e2e login: ", BootStage.Login)]
    [InlineData("This is gentoo.unknown_domain (Linux x86_64 6.1.158) 12:00:00\r\n\r\nlocalhost login:\r\n", BootStage.Login)]
    public void FindsTheFurthestStageOnTheConsole(string serial, BootStage expected) =>
        Assert.Equal(expected, BootStageDetector.Detect(serial));

    [Fact]
    public void EveryStageHasADescription()
    {
        foreach (var stage in Enum.GetValues<BootStage>())
        {
            Assert.False(string.IsNullOrWhiteSpace(BootStageDetector.Describe(stage)));
            Assert.NotEqual(stage.ToString(), BootStageDetector.Describe(stage));
        }
    }
}
