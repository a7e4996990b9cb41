namespace GentooImage.Engine.Model;

/// <summary>What became of one requested kernel option.</summary>
public enum KernelConfigStatus
{
    /// <summary>The value was changed and holds in the final configuration.</summary>
    Applied,
    /// <summary>The value already held before the change.</summary>
    AlreadySet,
    /// <summary>The symbol has no prompt: its value comes from other options.</summary>
    NotSettable,
    /// <summary>The symbol's dependencies are not met, so the value cannot hold.</summary>
    DependencyUnmet,
    /// <summary>The symbol is not in this kernel's Kconfig.</summary>
    Unknown,
    /// <summary>The symbol is settable and its dependencies hold, but something else (a select, its type, a choice) forces another value.</summary>
    Overridden,
    /// <summary>No kernel tree to check against (a bare .config), or pending a dist-kernel build.</summary>
    NotVerified,
}
