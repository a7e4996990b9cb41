using GentooImage.TestSupport;

namespace GentooImage.Engine.Tests;

/// <summary>One signed fixture mirror for a test class (built once: a few seconds).</summary>
public sealed class MirrorFixture : IDisposable
{
    public FixtureMirror Mirror { get; } = FixtureMirror.Create();

    public void Dispose() => Mirror.Dispose();
}
