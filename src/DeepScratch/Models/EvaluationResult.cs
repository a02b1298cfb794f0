namespace DeepScratch.Models;

/// <summary>The outcome of scoring a classifier on a labelled set.</summary>
/// <param name="Correct">How many predictions matched the label.</param>
/// <param name="Predicted">The predicted class of each example.</param>
/// <param name="Probabilities">The class probabilities of each example, (N, classes).</param>
/// <param name="Elapsed">Time spent in inference.</param>
public sealed record EvaluationResult(int Correct, int[] Predicted, Tensor Probabilities, TimeSpan Elapsed)
{
    /// <summary>Number of examples scored.</summary>
    public int Total => Predicted.Length;

    /// <summary>The fraction predicted correctly (the book's <c>accuracy_cnt / len(x)</c>).</summary>
    public double Accuracy => Total == 0 ? 0 : (double)Correct / Total;

    /// <summary>Examples per second of inference.</summary>
    public double ImagesPerSecond => Elapsed.TotalSeconds > 0 ? Total / Elapsed.TotalSeconds : double.PositiveInfinity;
}
