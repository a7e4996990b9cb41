namespace GentooImage.Engine.Model;

/// <summary>How QEMU runs a guest.</summary>
public enum Accelerator
{
    /// <summary>KVM when a probe guest really runs under it, TCG otherwise.</summary>
    Auto,
    /// <summary>Hardware virtualisation through /dev/kvm.</summary>
    Kvm,
    /// <summary>QEMU's software emulation (slow, but works everywhere).</summary>
    Tcg,
}
