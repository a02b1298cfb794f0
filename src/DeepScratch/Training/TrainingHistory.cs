namespace DeepScratch.Training;

/// <summary>What a training run measured: the loss of every iteration and both accuracies after every epoch.</summary>
public sealed class TrainingHistory
{
    /// <summary>The minibatch loss of each iteration, in order.</summary>
    public List<double> Loss { get; } = [];

    /// <summary>Training-set accuracy after each epoch.</summary>
    public List<double> TrainAccuracy { get; } = [];

    /// <summary>Test-set accuracy after each epoch.</summary>
    public List<double> TestAccuracy { get; } = [];

    /// <summary>Time spent in each epoch's iterations (forward, backward, update), without the accuracy passes.</summary>
    public List<TimeSpan> EpochTimes { get; } = [];

    /// <summary>Wall time of the whole run, evaluation included.</summary>
    public TimeSpan Elapsed { get; set; }
}
