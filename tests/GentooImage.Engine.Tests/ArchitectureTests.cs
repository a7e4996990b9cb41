using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

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

    private const string Engine = "GentooImage.Engine.";

    private static readonly string[] s_stages = { "Stage3", "Mounts", "Chroot", "Kernel", "Image", "Boot", "Guest" };

    /// <summary>
    /// Edges between stage folders that are there by design, each with its reason. Anything else a
    /// stage uses of another stage is a failure: move the shared piece to Model/ or Platform/.
    /// </summary>
    private static readonly Dictionary<(string From, string To), string> s_allowedStageEdges = new();

    [Fact]
    public void PlatformUsesNoStageAndNoModel()
    {
        // Platform is the lowest layer: nothing in it (signatures or method bodies) mentions a type
        // from another folder.
        AssertNone(d => d.From == "Platform" && d.To != "Platform");
    }

    [Fact]
    public void ModelUsesNoStage()
    {
        // Model holds what the stages share; it never reaches up into one of them.
        AssertNone(d => d.From == "Model" && s_stages.Contains(d.To));
    }

    [Fact]
    public void NoStageFolderUsesAnotherStageFolder() =>
        AssertNone(d => s_stages.Contains(d.From) && s_stages.Contains(d.To) && d.From != d.To && !s_allowedStageEdges.ContainsKey((d.From, d.To)));

    [Fact]
    public void TheDependencyReaderSeesMethodBodies()
    {
        // A check on the reader itself: DiskImageBuilder calls AtomicFile.Commit, and
        // BuildFilesystems calls Unmounter.TakeDown, only inside method bodies (no signature or
        // field mentions either type), so a reader of signatures alone would miss both.
        var deps = EngineDependencies();
        Assert.Contains(deps, d => d.FromType.EndsWith("DiskImageBuilder", StringComparison.Ordinal) && d.ToType == Engine + "Platform.AtomicFile");
        Assert.Contains(deps, d => d.FromType.EndsWith("BuildFilesystems", StringComparison.Ordinal) && d.ToType == Engine + "Mounts.Unmounter");
    }

    private static void AssertNone(Func<Dependency, bool> forbidden)
    {
        var offenders = EngineDependencies().Where(forbidden).Select(d => d.ToString()).Order(StringComparer.Ordinal).ToList();
        Assert.True(offenders.Count == 0, string.Join("\n", offenders));
    }

    /// <summary>One use of a type of one engine folder by a type of another (or the same) folder.</summary>
    private sealed record Dependency(string From, string FromType, string To, string ToType)
    {
        public override string ToString() => $"{FromType} -> {ToType}";
    }

    private static List<Dependency>? s_dependencies;

    /// <summary>
    /// Every engine type's uses of engine types, read from the assembly's metadata and IL: base
    /// types, interfaces, field types, method signatures, local variables, and every type, method
    /// and field token in method bodies (generic instantiations decoded). Nested and
    /// compiler-generated types (lambdas, async state machines) count as their outermost type.
    /// </summary>
    private static List<Dependency> EngineDependencies()
    {
        if (s_dependencies is not null)
        {
            return s_dependencies;
        }

        using var pe = new PEReader(File.OpenRead(s_engine.Location));
        var md = pe.GetMetadataReader();
        var provider = new TypeNames(md);
        var result = new HashSet<Dependency>();
        foreach (var th in md.TypeDefinitions)
        {
            var from = provider.Outermost(th);
            if (!from.StartsWith(Engine, StringComparison.Ordinal))
            {
                continue;
            }

            var used = new HashSet<string>(StringComparer.Ordinal);
            var td = md.GetTypeDefinition(th);
            if (!td.BaseType.IsNil)
            {
                used.UnionWith(provider.OfHandle(td.BaseType));
            }

            foreach (var ih in td.GetInterfaceImplementations())
            {
                used.UnionWith(provider.OfHandle(md.GetInterfaceImplementation(ih).Interface));
            }

            foreach (var fh in td.GetFields())
            {
                used.UnionWith(md.GetFieldDefinition(fh).DecodeSignature(provider, null));
            }

            foreach (var mh in td.GetMethods())
            {
                var method = md.GetMethodDefinition(mh);
                var sig = method.DecodeSignature(provider, null);
                used.UnionWith(sig.ReturnType);
                foreach (var p in sig.ParameterTypes)
                {
                    used.UnionWith(p);
                }

                if (method.RelativeVirtualAddress != 0)
                {
                    var body = pe.GetMethodBody(method.RelativeVirtualAddress);
                    if (!body.LocalSignature.IsNil)
                    {
                        foreach (var local in md.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(provider, null))
                        {
                            used.UnionWith(local);
                        }
                    }

                    foreach (var token in Tokens(body.GetILBytes()!))
                    {
                        used.UnionWith(provider.OfHandle(MetadataTokens.EntityHandle(token)));
                    }
                }
            }

            foreach (var to in used.Where(u => u.StartsWith(Engine, StringComparison.Ordinal)))
            {
                result.Add(new Dependency(Folder(from), from, Folder(to), to));
            }
        }

        return s_dependencies = result.ToList();
    }

    private static string Folder(string fullName) => fullName[Engine.Length..].Split('.')[0];

    private static readonly Dictionary<short, OpCode> s_opCodes = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    /// <summary>The metadata tokens (type, method, field) in an IL stream.</summary>
    private static IEnumerable<int> Tokens(byte[] il)
    {
        var i = 0;
        while (i < il.Length)
        {
            short value = il[i++];
            if (value == 0xFE)
            {
                value = unchecked((short)(0xFE00 | il[i++]));
            }

            var op = s_opCodes[value];
            switch (op.OperandType)
            {
                case OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok:
                    yield return BitConverter.ToInt32(il, i);
                    i += 4;
                    break;
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    i += 1;
                    break;
                case OperandType.InlineVar:
                    i += 2;
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    i += 8;
                    break;
                case OperandType.InlineSwitch:
                    var n = BitConverter.ToInt32(il, i);
                    i += 4 + (4 * n);
                    break;
                default: // InlineBrTarget, InlineI, InlineSig, InlineString, ShortInlineR
                    i += 4;
                    break;
            }
        }
    }

    /// <summary>Names (namespace-qualified, outermost type) of every type a handle or signature mentions.</summary>
    private sealed class TypeNames : ISignatureTypeProvider<ImmutableHashSet<string>, object?>
    {
        private static readonly ImmutableHashSet<string> s_none = ImmutableHashSet<string>.Empty;
        private readonly MetadataReader _md;

        public TypeNames(MetadataReader md) => _md = md;

        public string Outermost(TypeDefinitionHandle handle)
        {
            var td = _md.GetTypeDefinition(handle);
            while (td.IsNested)
            {
                td = _md.GetTypeDefinition(td.GetDeclaringType());
            }

            return _md.GetString(td.Namespace) + "." + _md.GetString(td.Name);
        }

        private string Outermost(TypeReferenceHandle handle)
        {
            var tr = _md.GetTypeReference(handle);
            while (tr.ResolutionScope.Kind == HandleKind.TypeReference)
            {
                tr = _md.GetTypeReference((TypeReferenceHandle)tr.ResolutionScope);
            }

            return _md.GetString(tr.Namespace) + "." + _md.GetString(tr.Name);
        }

        public ImmutableHashSet<string> OfHandle(EntityHandle handle) => handle.Kind switch
        {
            HandleKind.TypeDefinition => ImmutableHashSet.Create(Outermost((TypeDefinitionHandle)handle)),
            HandleKind.TypeReference => ImmutableHashSet.Create(Outermost((TypeReferenceHandle)handle)),
            HandleKind.TypeSpecification => _md.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(this, null),
            HandleKind.MethodDefinition => ImmutableHashSet.Create(Outermost(_md.GetMethodDefinition((MethodDefinitionHandle)handle).GetDeclaringType())),
            HandleKind.FieldDefinition => ImmutableHashSet.Create(Outermost(_md.GetFieldDefinition((FieldDefinitionHandle)handle).GetDeclaringType())),
            HandleKind.MemberReference => OfMemberReference((MemberReferenceHandle)handle),
            HandleKind.MethodSpecification => OfMethodSpecification((MethodSpecificationHandle)handle),
            _ => s_none,
        };

        private ImmutableHashSet<string> OfMemberReference(MemberReferenceHandle handle)
        {
            var mr = _md.GetMemberReference(handle);
            var result = OfHandle(mr.Parent);
            return mr.GetKind() == MemberReferenceKind.Method
                ? mr.DecodeMethodSignature(this, null) is var sig ? result.Union(sig.ReturnType).Union(sig.ParameterTypes.SelectMany(p => p)) : result
                : result.Union(mr.DecodeFieldSignature(this, null));
        }

        private ImmutableHashSet<string> OfMethodSpecification(MethodSpecificationHandle handle)
        {
            var ms = _md.GetMethodSpecification(handle);
            return OfHandle(ms.Method).Union(ms.DecodeSignature(this, null).SelectMany(t => t));
        }

        public ImmutableHashSet<string> GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => ImmutableHashSet.Create(Outermost(handle));

        public ImmutableHashSet<string> GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => ImmutableHashSet.Create(Outermost(handle));

        public ImmutableHashSet<string> GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);

        public ImmutableHashSet<string> GetPrimitiveType(PrimitiveTypeCode typeCode) => s_none;

        public ImmutableHashSet<string> GetSZArrayType(ImmutableHashSet<string> elementType) => elementType;

        public ImmutableHashSet<string> GetArrayType(ImmutableHashSet<string> elementType, ArrayShape shape) => elementType;

        public ImmutableHashSet<string> GetByReferenceType(ImmutableHashSet<string> elementType) => elementType;

        public ImmutableHashSet<string> GetPointerType(ImmutableHashSet<string> elementType) => elementType;

        public ImmutableHashSet<string> GetPinnedType(ImmutableHashSet<string> elementType) => elementType;

        public ImmutableHashSet<string> GetGenericInstantiation(ImmutableHashSet<string> genericType, ImmutableArray<ImmutableHashSet<string>> typeArguments) =>
            typeArguments.Aggregate(genericType, (acc, t) => acc.Union(t));

        public ImmutableHashSet<string> GetGenericMethodParameter(object? genericContext, int index) => s_none;

        public ImmutableHashSet<string> GetGenericTypeParameter(object? genericContext, int index) => s_none;

        public ImmutableHashSet<string> GetFunctionPointerType(MethodSignature<ImmutableHashSet<string>> signature) =>
            signature.ParameterTypes.Aggregate(signature.ReturnType, (acc, t) => acc.Union(t));

        public ImmutableHashSet<string> GetModifiedType(ImmutableHashSet<string> modifier, ImmutableHashSet<string> unmodifiedType, bool isRequired) => unmodifiedType;
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
