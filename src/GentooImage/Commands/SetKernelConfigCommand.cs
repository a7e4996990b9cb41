using System.Collections;
using System.Globalization;
using System.Management.Automation;
using GentooImage.Engine.Kernel;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;

namespace GentooImage.Commands;

/// <summary>
/// Set-KernelConfig: merges presets, fragments and settings into a kernel .config (or a
/// dist-kernel fragment), runs make olddefconfig and reports, per requested symbol, whether the
/// value holds, checked against the tree's own Kconfig files.
/// </summary>
[Cmdlet(VerbsCommon.Set, "KernelConfig", SupportsShouldProcess = true, DefaultParameterSetName = PathSet)]
[OutputType(typeof(BuildRoot), ParameterSetName = new[] { InputObjectSet, PathSet })]
[OutputType(typeof(KernelConfigReport), ParameterSetName = new[] { ConfigPathSet })]
public sealed class SetKernelConfigCommand : BuildRootCmdletBase
{
    private const string ConfigPathSet = "ConfigPath";

    /// <summary>A .config file on the host to edit instead of a build root's kernel tree.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ConfigPathSet)]
    [ValidateNotNullOrEmpty]
    public string ConfigPath { get; set; } = null!;

    /// <summary>Presets from the seed, applied first.</summary>
    [Parameter]
    [ValidateSet(KernelConfigPreset.KvmDisk, KernelConfigPreset.SerialConsole, KernelConfigPreset.Virtio, KernelConfigPreset.GuestSupport,
        KernelConfigPreset.XenDrivers, KernelConfigPreset.KvmDrivers, KernelConfigPreset.OpenStack)]
    public string[] Preset { get; set; } = Array.Empty<string>();

    /// <summary>Kernel config fragment files, applied after the presets.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] FragmentPath { get; set; } = Array.Empty<string>();

    /// <summary>Single settings, applied last.</summary>
    [Parameter]
    [ValidateNotNull]
    public IDictionary Setting { get; set; } = new Hashtable();

    /// <summary>The kernel tree: a path inside the root, or (with -ConfigPath) a tree on the host.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? KernelSource { get; set; }

    /// <summary>Write a dist-kernel fragment to the root's /etc/kernel/config.d instead of editing a .config.</summary>
    [Parameter(ParameterSetName = InputObjectSet)]
    [Parameter(ParameterSetName = PathSet)]
    public SwitchParameter DistKernel { get; set; }

    /// <summary>The dist-kernel fragment's file name.</summary>
    [Parameter(ParameterSetName = InputObjectSet)]
    [Parameter(ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string? FragmentName { get; set; }

    /// <summary>Fail when a requested value does not hold.</summary>
    [Parameter]
    public SwitchParameter Strict { get; set; }

    protected override object? Run()
    {
        var settings = new List<KeyValuePair<string, string?>>();
        foreach (DictionaryEntry entry in Setting)
        {
            settings.Add(new KeyValuePair<string, string?>(Convert.ToString(Unwrap(entry.Key), CultureInfo.InvariantCulture) ?? string.Empty, ValueText(entry.Value)));
        }

        var fragments = FragmentPath.Select(ResolvePath).ToArray();
        var request = new KernelConfigRequest
        {
            Presets = Preset,
            FragmentPaths = fragments,
            Settings = settings,
            Strict = Strict.IsPresent,
            DistKernel = DistKernel.IsPresent,
            FragmentName = FragmentName,
            KernelSource = ParameterSetName == ConfigPathSet && KernelSource is not null ? ResolvePath(KernelSource) : KernelSource,
        };

        if (ParameterSetName == ConfigPathSet)
        {
            var given = ResolvePath(ConfigPath);
            var config = RunEngine("Set-KernelConfig", given, _ => HostPathPolicy.CheckKernelConfigFile(given, nameof(ConfigPath)));
            if (!ShouldProcess(config, "Merge kernel options and verify them"))
            {
                return null;
            }

            return RunEngine("Set-KernelConfig", config, ctx => KernelConfigurator.ApplyToFile(config, request, ctx));
        }

        using var lease = OpenBuildRoot(BuildRootAccess.Change);
        var root = lease.Root!;
        var action = DistKernel ? "Write a dist-kernel config fragment" : "Merge kernel options into the root's kernel tree and verify them";
        if (!ShouldProcess(root.Path, action))
        {
            return null;
        }

        return RunEngine("Set-KernelConfig", root.Path, ctx => KernelConfigurator.Apply(root, request, ctx));
    }

    private static object? Unwrap(object? value) => value is PSObject pso ? pso.BaseObject : value;

    private static string? ValueText(object? value) => Unwrap(value) switch
    {
        null => null,
        bool b => b ? "y" : "n",
        SwitchParameter s => s.IsPresent ? "y" : "n",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        var o => o.ToString(),
    };
}
