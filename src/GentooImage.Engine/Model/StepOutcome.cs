namespace GentooImage.Engine.Model;

/// <summary>How a step on a build root ended.</summary>
public enum StepOutcome
{
    Succeeded,
    Failed,
    Cancelled,
}
