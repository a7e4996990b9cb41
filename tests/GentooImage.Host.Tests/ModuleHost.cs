using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace GentooImage.Host.Tests;

/// <summary>
/// A runspace with GentooImage imported: the built module in out/ when build.ps1 built it
/// (GENTOOIMAGE_MODULE points at its manifest), else the assembly next to these tests.
/// </summary>
public sealed class ModuleHost : IDisposable
{
    public ModuleHost()
    {
        var iss = InitialSessionState.CreateDefault2();
        Runspace = RunspaceFactory.CreateRunspace(iss);
        Runspace.Open();
        ModulePath = Environment.GetEnvironmentVariable("GENTOOIMAGE_MODULE") is { Length: > 0 } m && File.Exists(m)
            ? m
            : Path.Combine(AppContext.BaseDirectory, "GentooImage.dll");
        Invoke($"Import-Module '{ModulePath}' -ErrorAction Stop");
    }

    public Runspace Runspace { get; }

    public string ModulePath { get; }

    /// <summary>Runs a script; returns output, and the errors it wrote (non-terminating) or threw.</summary>
    public (IReadOnlyList<PSObject> Output, IReadOnlyList<ErrorRecord> Errors) Run(string script)
    {
        using var ps = PowerShell.Create();
        ps.Runspace = Runspace;
        ps.AddScript(script);
        try
        {
            var output = ps.Invoke();
            return (output, ps.Streams.Error.ToList());
        }
        catch (RuntimeException ex)
        {
            return (Array.Empty<PSObject>(), ps.Streams.Error.Append(ex.ErrorRecord).ToList());
        }
    }

    public IReadOnlyList<PSObject> Invoke(string script)
    {
        var (output, errors) = Run(script);
        if (errors.Count > 0)
        {
            throw new InvalidOperationException(string.Join("\n", errors.Select(e => e.ToString())));
        }

        return output;
    }

    public void Dispose() => Runspace.Dispose();
}
