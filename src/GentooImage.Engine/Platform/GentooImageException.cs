namespace GentooImage.Engine.Platform;

/// <summary>
/// The one exception type the engine throws on purpose. <see cref="Kind"/> says what failed,
/// <see cref="Target"/> names the object it failed on (a path, a URL, a mount point).
/// Messages say what is wrong and how to fix it.
/// </summary>
public class GentooImageException : Exception
{
    public GentooImageException(ErrorKind kind, string message, object? target = null, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        Target = target;
    }

    /// <summary>The stable error kind; the cmdlet layer uses its name as the ErrorId.</summary>
    public ErrorKind Kind { get; }

    /// <summary>The object the error is about (path, URL, symbol), or null.</summary>
    public object? Target { get; }
}
