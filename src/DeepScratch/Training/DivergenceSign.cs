namespace DeepScratch.Training;

/// <summary>Which rule of <see cref="DivergenceDetector"/> stopped a run.</summary>
public enum DivergenceSign
{
    /// <summary>The loss became NaN or infinite.</summary>
    NonFiniteLoss,

    /// <summary>The loss stayed at the cross-entropy's cap, -ln(1e-7) = 16.118, for a window of iterations.</summary>
    LossAtCap,

    /// <summary>The mean loss over a window of iterations was far above ln(classes), the loss of a uniform guess.</summary>
    LossFarAboveStart,

    /// <summary>A parameter became NaN or infinite.</summary>
    NonFiniteParameter,

    /// <summary>A parameter's magnitude exceeded <see cref="DivergenceDetector.MaxParameter"/>.</summary>
    HugeParameter,

    /// <summary>The run ended at chance accuracy after its loss had risen far above its start.</summary>
    EndedAtChance,
}
