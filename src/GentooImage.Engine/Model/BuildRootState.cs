namespace GentooImage.Engine.Model;

/// <summary>Whether a build root is whole. Roots saved before this property existed read as Ready.</summary>
public enum BuildRootState
{
    /// <summary>Extraction finished (or the root was not made by New-Stage3Root).</summary>
    Ready,

    /// <summary>
    /// New-Stage3Root started extracting into it and did not finish (killed, power loss): the tree is
    /// partial. Other cmdlets refuse it; <c>New-Stage3Root -Force</c> replaces it.
    /// </summary>
    Incomplete,
}
