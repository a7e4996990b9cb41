using System.Reflection;

namespace GentooImage.Engine.Tests;

/// <summary>The engine's layering rules, checked on the compiled assembly.</summary>
public class ArchitectureTests
{
    private static readonly Assembly s_engine = typeof(GentooImage.Engine.Platform.ErrorKind).Assembly;

    [Fact]
    public void EngineDoesNotReferencePowerShell() =>
        Assert.DoesNotContain(s_engine.GetReferencedAssemblies(), a => a.Name == "System.Management.Automation");

    [Fact]
    public void EveryTypeLivesInAPipelineFolderNamespace()
    {
        var allowed = new[] { "Platform", "Model", "Stage3", "Mounts", "Chroot", "Kernel", "Image", "Boot", "Guest" }
            .Select(f => "GentooImage.Engine." + f).ToHashSet();
        var stray = s_engine.GetTypes()
            .Where(t => t.Namespace is not null && t.Namespace.StartsWith("GentooImage.Engine", StringComparison.Ordinal))
            .Where(t => !allowed.Contains(t.Namespace!))
            .Select(t => t.FullName)
            .ToList();
        Assert.Empty(stray);
    }

    [Fact]
    public void PlatformUsesNoStageAndNoModel()
    {
        // Platform is the lowest layer: its types' members never mention a type from another folder.
        var platform = s_engine.GetTypes().Where(t => t.Namespace == "GentooImage.Engine.Platform");
        var offenders = new List<string>();
        foreach (var t in platform)
        {
            const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            var mentioned = t.GetFields(all).Select(f => f.FieldType)
                .Concat(t.GetProperties(all).Select(p => p.PropertyType))
                .Concat(t.GetMethods(all).SelectMany(m => m.GetParameters().Select(p => p.ParameterType).Append(m.ReturnType)));
            offenders.AddRange(mentioned
                .Where(m => m.Namespace is { } ns && ns.StartsWith("GentooImage.Engine.", StringComparison.Ordinal) && ns != "GentooImage.Engine.Platform")
                .Select(m => $"{t.Name} -> {m.FullName}"));
        }

        Assert.Empty(offenders);
    }

    [Fact]
    public void OnePublicTypePerFile()
    {
        var src = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../src/GentooImage.Engine"));
        Assert.True(Directory.Exists(src), src);
        var publicType = new System.Text.RegularExpressions.Regex(@"^public\s+(?:sealed\s+|static\s+|abstract\s+|partial\s+|readonly\s+)*(?:class|record|struct|enum|interface)\s+(\w+)", System.Text.RegularExpressions.RegexOptions.Multiline);
        var bad = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/obj/") && !f.Contains("/bin/"))
            .Select(f => (f, names: publicType.Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value).ToList()))
            .Where(x => x.names.Count > 1 || (x.names.Count == 1 && x.names[0] != Path.GetFileNameWithoutExtension(x.f)))
            .Select(x => $"{Path.GetRelativePath(src, x.f)}: {string.Join(", ", x.names)}")
            .ToList();
        Assert.Empty(bad);
    }
}
