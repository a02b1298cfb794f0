namespace DeepScratch.Training;

/// <summary>
/// Training diverged (see <see cref="DivergenceDetector"/> for the rule): the network is worthless and must not be
/// saved. <see cref="Exception.Message"/> says what was seen and what to try; the properties let a front end name
/// its own option (e.g. <c>--lr</c> or <c>--init</c>).
/// </summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>A divergence with only a message (no rule or cause recorded).</summary>
    public TrainingDivergedException(string message) : base(message)
    {
        Diagnosis = message;
    }

    /// <summary>A divergence found by <paramref name="sign"/> at <paramref name="iteration"/> (from 1; 0 = before training).</summary>
    /// <param name="diagnosis">What was seen, one sentence without advice.</param>
    /// <param name="sign">The rule that fired.</param>
    /// <param name="cause">The likely cause.</param>
    /// <param name="iteration">The iteration at which it fired (0 when the untrained network was already broken).</param>
    public TrainingDivergedException(string diagnosis, DivergenceSign sign, DivergenceCause cause, int iteration)
        : base($"{diagnosis} {GenericAdvice(cause)}")
    {
        Diagnosis = diagnosis;
        Sign = sign;
        Cause = cause;
        Iteration = iteration;
    }

    /// <summary>What was seen, without advice, e.g. "training diverged at iteration 7: ...".</summary>
    public string Diagnosis { get; }

    /// <summary>The rule that fired; null when built from a message only.</summary>
    public DivergenceSign? Sign { get; }

    /// <summary>The likely cause; null when built from a message only.</summary>
    public DivergenceCause? Cause { get; }

    /// <summary>The iteration (from 1) at which the rule fired; 0 before the first update.</summary>
    public int Iteration { get; }

    private static string GenericAdvice(DivergenceCause cause) => cause switch
    {
        DivergenceCause.InitialWeights => "The initial weights are too large: start from smaller ones (He or Xavier initialisation, or a standard deviation such as 0.01).",
        DivergenceCause.WeightDecay => "The weight-decay term dominates the loss: lower the weight decay (the book uses 0.1).",
        _ => "The learning rate is too large: lower it (try 10 times smaller).",
    };
}
