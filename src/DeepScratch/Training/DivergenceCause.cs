namespace DeepScratch.Training;

/// <summary>What most likely made a run diverge, so the advice can name the setting to change.</summary>
public enum DivergenceCause
{
    /// <summary>The run started sensibly and the updates blew it up: the learning rate is too large.</summary>
    LearningRate,

    /// <summary>The untrained network was already broken (loss far above ln(classes), or huge weights): the initial weights are too large.</summary>
    InitialWeights,
}
