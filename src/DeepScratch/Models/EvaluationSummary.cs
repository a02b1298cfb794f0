namespace DeepScratch.Models;

/// <summary>The outcome of a streaming evaluation: counts only, since the examples were never all held at once.</summary>
/// <param name="Correct">How many predictions matched the label.</param>
/// <param name="Total">How many examples were scored.</param>
/// <param name="Elapsed">Time spent in inference (reading the data excluded).</param>
public sealed record EvaluationSummary(int Correct, int Total, TimeSpan Elapsed)
{
    /// <summary>The fraction predicted correctly (the book's <c>accuracy_cnt / len(x)</c>).</summary>
    public double Accuracy => Total == 0 ? 0 : (double)Correct / Total;

    /// <summary>Examples per second of inference.</summary>
    public double ImagesPerSecond => Elapsed.TotalSeconds > 0 ? Total / Elapsed.TotalSeconds : double.PositiveInfinity;
}
