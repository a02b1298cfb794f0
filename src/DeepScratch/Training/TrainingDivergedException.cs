namespace DeepScratch.Training;

/// <summary>The loss became NaN or infinite: training cannot recover, so it stops with what to try instead.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);
