namespace DeepScratch.Training;

/// <summary>What a training run measured: the loss of every iteration and both accuracies after every epoch and at the end.</summary>
public sealed class TrainingHistory
{
    /// <summary>The minibatch loss of each iteration, in order.</summary>
    public List<double> Loss { get; } = [];

    /// <summary>
    /// The iteration (from 1) after which each accuracy was measured: every epoch's end and the run's last iteration,
    /// so a run shorter than an epoch still has one point.
    /// </summary>
    public List<int> AccuracyIterations { get; } = [];

    /// <summary>Iterations in one epoch (<see cref="Trainer.IterationsPerEpoch"/>), to place accuracies on an epoch axis.</summary>
    public int IterationsPerEpoch { get; init; } = 1;

    /// <summary>
    /// Where each accuracy was measured, in epochs: <see cref="AccuracyIterations"/> / <see cref="IterationsPerEpoch"/>
    /// (1, 2, ... at epoch ends; a fraction for a run that stops mid-epoch, e.g. 0.333 after 200 of 600 iterations).
    /// </summary>
    public IReadOnlyList<double> AccuracyEpochs => AccuracyIterations.Select(i => (double)i / IterationsPerEpoch).ToArray();

    /// <summary>Training-set accuracy after each epoch and after the last iteration (see <see cref="AccuracyIterations"/>).</summary>
    public List<double> TrainAccuracy { get; } = [];

    /// <summary>
    /// For each accuracy measurement, how many examples of the training and the test set it covered: the evaluation
    /// sample after each epoch, the whole test set at the last one.
    /// </summary>
    public List<(int Train, int Test)> SampleSizes { get; } = [];

    /// <summary>Test-set accuracy after each epoch and after the last iteration (see <see cref="AccuracyIterations"/>).</summary>
    public List<double> TestAccuracy { get; } = [];

    /// <summary>Time spent in each epoch's iterations (forward, backward, update), without the accuracy passes; the last entry covers a shorter stretch when the run ends mid-epoch.</summary>
    public List<TimeSpan> EpochTimes { get; } = [];

    /// <summary>Wall time of the whole run, evaluation included.</summary>
    public TimeSpan Elapsed { get; set; }
}
