namespace DeepScratch.Training;

/// <summary>What most likely made a run diverge, so the advice can name the setting to change.</summary>
public enum DivergenceCause
{
    /// <summary>The run started sensibly and the updates blew it up: the learning rate is too large.</summary>
    LearningRate,

    /// <summary>The untrained network was already broken (loss far above ln(classes), or huge weights): the initial weights are too large.</summary>
    InitialWeights,

    /// <summary>The weight-decay term dwarfed the data loss from the start (λ·ΣW²/2 over 1000 times it): λ is too large.</summary>
    WeightDecay,
}
