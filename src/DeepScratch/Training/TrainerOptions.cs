namespace DeepScratch.Training;

/// <summary>How long and in what steps to train.</summary>
/// <param name="BatchSize">Examples per minibatch.</param>
/// <param name="Epochs">Passes over the training set (ignored when <paramref name="Iterations"/> is set).</param>
/// <param name="Iterations">Total minibatch steps instead of whole epochs (the book's ch.5 recipe: 10,000).</param>
/// <param name="Seed">Seeds the shuffling, so the same seed gives the same run.</param>
public sealed record TrainerOptions(int BatchSize = 100, int Epochs = 10, int? Iterations = null, int Seed = 0);
