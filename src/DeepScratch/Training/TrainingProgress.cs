namespace DeepScratch.Training;

/// <summary>A snapshot reported while training, for progress displays.</summary>
/// <param name="Iteration">Iterations done so far.</param>
/// <param name="TotalIterations">Iterations the run will do.</param>
/// <param name="Epoch">The current epoch, from 1.</param>
/// <param name="Loss">The last minibatch loss.</param>
/// <param name="Elapsed">Time since the run started.</param>
/// <param name="TrainAccuracy">Set at the end of an epoch and after the last iteration: the training accuracy just measured.</param>
/// <param name="TestAccuracy">Set at the end of an epoch and after the last iteration: the test accuracy just measured.</param>
public readonly record struct TrainingProgress(
    int Iteration, int TotalIterations, int Epoch, double Loss, TimeSpan Elapsed,
    double? TrainAccuracy = null, double? TestAccuracy = null)
{
    /// <summary>Training examples <see cref="TrainAccuracy"/> was measured on (the evaluation sample), or 0.</summary>
    public int TrainExamples { get; init; }

    /// <summary>Test examples <see cref="TestAccuracy"/> was measured on (the sample, or the whole set at the end), or 0.</summary>
    public int TestExamples { get; init; }

    /// <summary>Estimated time left, from the pace so far.</summary>
    public TimeSpan Remaining => Iteration == 0 ? TimeSpan.Zero : Elapsed * ((double)(TotalIterations - Iteration) / Iteration);
}
