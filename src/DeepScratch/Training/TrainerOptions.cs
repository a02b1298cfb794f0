namespace DeepScratch.Training;

/// <summary>How long and in what steps to train.</summary>
/// <param name="BatchSize">Examples per minibatch.</param>
/// <param name="Epochs">Passes over the training set (ignored when <paramref name="Iterations"/> is set).</param>
/// <param name="Iterations">Total minibatch steps instead of whole epochs (the book's ch.5 recipe: 10,000).</param>
/// <param name="Seed">Seeds the shuffling, so the same seed gives the same run.</param>
/// <param name="EvaluationSample">
/// Examples of each set measured after every epoch: the first this many of the training and of the test set (the
/// book's <c>evaluate_sample_num_per_epoch</c>; its train_convnet.py uses 1000, the default here); 0 measures the whole
/// sets. The last measurement always covers the whole test set.
/// </param>
public sealed record TrainerOptions(int BatchSize = 100, int Epochs = 10, int? Iterations = null, int Seed = 0,
    int EvaluationSample = TrainerOptions.DefaultEvaluationSample)
{
    /// <summary>The book's train_convnet.py <c>evaluate_sample_num_per_epoch</c>: 1000 examples per set and epoch.</summary>
    public const int DefaultEvaluationSample = 1000;
}
