namespace GentooImage.Engine.Model;

/// <summary>What an operation does with a build root, which decides what the guard demands of it.</summary>
public enum BuildRootAccess
{
    /// <summary>Reads it (Get-BuildRoot, -WhatIf): must be a build root; no lock.</summary>
    Read,
    /// <summary>Changes it: must be a build root; the root's lock is held for the whole operation.</summary>
    Change,
    /// <summary>Creates or replaces it (New-Stage3Root): need not exist or be a root yet; locked.</summary>
    Create,
}
