namespace GentooImage.Engine.Kernel;

/// <summary>
/// Where kconfig works: the kernel tree, the .config file it edits, the out-of-tree object
/// directory (<c>make O=</c>) if any, and, when kconfig runs inside the root's chroot, the root and
/// the tree's path inside it.
/// </summary>
internal sealed record KernelConfigTarget(string Tree, string ConfigFile, string? ObjDir, string? ChrootRoot, string? TreeInRoot);
