namespace GentooImage.Engine.Guest;

/// <summary>What the root account's password field in /etc/shadow becomes.</summary>
public enum RootPasswordMode
{
    /// <summary>No password login for root ('!' unless already locked with '*' or '!'); SSH keys from cloud-init only.</summary>
    Locked,

    /// <summary>An empty password: root logs in on the console without one. For test images only.</summary>
    Empty,
}
