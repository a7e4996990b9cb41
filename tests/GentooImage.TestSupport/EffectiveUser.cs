using System.Runtime.InteropServices;

namespace GentooImage.TestSupport;

/// <summary>
/// Temporarily drops the effective uid (the real uid stays 0, so it can be restored), to test what
/// a non-root caller sees. It affects the whole process: use it only in a collection with
/// DisableParallelization = true.
/// </summary>
public sealed class EffectiveUser : IDisposable
{
    private EffectiveUser()
    {
    }

    public static EffectiveUser Become(uint uid = 65534)
    {
        if (SetEuid(uid) != 0)
        {
            throw new InvalidOperationException($"seteuid({uid}) failed: errno {Marshal.GetLastPInvokeError()}");
        }

        return new EffectiveUser();
    }

    public void Dispose()
    {
        if (SetEuid(0) != 0)
        {
            throw new InvalidOperationException($"seteuid(0) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

#pragma warning disable SYSLIB1054 // DllImport keeps this test project free of unsafe code
    [DllImport("libc", EntryPoint = "seteuid", SetLastError = true)]
    private static extern int SetEuid(uint uid);
#pragma warning restore SYSLIB1054
}
