using System.Management.Automation;
using System.Reflection;
using GentooImage.Commands;
using GentooImage.Engine.Kernel;

namespace GentooImage.Host.Tests;

/// <summary>The preset names live in the engine's catalogue; the cmdlet's ValidateSet (and so its help and tab completion) names exactly those.</summary>
public sealed class SetKernelConfigPresetTests
{
    [Fact]
    public void ThePresetValidateSetIsTheCatalogue()
    {
        var set = typeof(SetKernelConfigCommand).GetProperty(nameof(SetKernelConfigCommand.Preset))!.GetCustomAttribute<ValidateSetAttribute>()!;
        Assert.Equal(KernelConfigPreset.Names, set.ValidValues);
        Assert.All(KernelConfigPreset.Names, n => Assert.NotEmpty(KernelConfigPreset.Lines(n)));
    }
}
