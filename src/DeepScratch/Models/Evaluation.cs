using System.Diagnostics;

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

/// <summary>Accuracy of a classifier, one example at a time or in batches (the book's two loops in chapter 3).</summary>
public static class Evaluation
{
    /// <summary>
    /// The book's batch loop: predicts <paramref name="x"/> (N, ...) <paramref name="batchSize"/> rows at a time and
    /// compares with <paramref name="labels"/>.
    /// </summary>
    /// <param name="model">The classifier.</param>
    /// <param name="x">The inputs, first axis the examples.</param>
    /// <param name="labels">The true class of each example.</param>
    /// <param name="batchSize">Examples per call to <see cref="IClassifier.Predict"/>.</param>
    /// <param name="progress">Receives the number of examples done after each batch.</param>
    /// <exception cref="ArgumentOutOfRangeException">The batch size is not positive.</exception>
    /// <exception cref="ArgumentException">The number of labels differs from the number of examples.</exception>
    public static EvaluationResult Evaluate(IClassifier model, Tensor x, ReadOnlySpan<byte> labels, int batchSize, IProgress<int>? progress = null) =>
        Run(model, x, labels, batchSize, singleInputs: false, progress);

    /// <summary>The book's first loop: predicts one image at a time, each without a batch axis, as <c>predict(network, x[i])</c>.</summary>
    public static EvaluationResult EvaluatePerImage(IClassifier model, Tensor x, ReadOnlySpan<byte> labels, IProgress<int>? progress = null) =>
        Run(model, x, labels, 1, singleInputs: true, progress);

    /// <summary>
    /// The fast path: scores raw pixels (<see cref="FusedPredictor.InputSize"/> bytes per image) in batches of
    /// <paramref name="batchSize"/> through a fused predictor; batch size 1 is the one-image loop.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The batch size is not positive.</exception>
    public static EvaluationResult Evaluate(ThreeLayerNet network, ReadOnlySpan<byte> pixels, ReadOnlySpan<byte> labels, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (batchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), $"Batch size must be at least 1; got {batchSize}.");
        }

        int n = labels.Length;
        var predictor = network.CreatePredictor(Math.Min(batchSize, Math.Max(n, 1)));
        int inputs = predictor.InputSize;
        int classes = predictor.Classes;
        if (pixels.Length != (long)n * inputs)
        {
            throw new ArgumentException($"{pixels.Length} pixel bytes are not {n} images of {inputs}.", nameof(pixels));
        }

        var probabilities = new Tensor(n, classes);
        var clock = Stopwatch.StartNew();
        for (int start = 0; start < n; start += batchSize)
        {
            int count = Math.Min(batchSize, n - start);
            predictor.PredictPixels(pixels.Slice(start * inputs, count * inputs), count, probabilities.Span.Slice(start * classes, count * classes));
        }

        clock.Stop();
        var predicted = probabilities.ArgMaxLastAxis();
        int correct = 0;
        for (int i = 0; i < n; i++)
        {
            correct += predicted[i] == labels[i] ? 1 : 0;
        }

        return new EvaluationResult(correct, predicted, probabilities, clock.Elapsed);
    }

    private static EvaluationResult Run(IClassifier model, Tensor x, ReadOnlySpan<byte> labels, int batchSize, bool singleInputs, IProgress<int>? progress)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(x);
        if (batchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), $"Batch size must be at least 1; got {batchSize}.");
        }

        int n = x.Dim(0);
        if (labels.Length != n)
        {
            throw new ArgumentException($"{n} examples but {labels.Length} labels.", nameof(labels));
        }

        Tensor? probabilities = null;
        var predicted = new int[n];
        int correct = 0;
        var clock = Stopwatch.StartNew();
        for (int start = 0; start < n; start += batchSize)
        {
            int count = Math.Min(batchSize, n - start);
            var y = singleInputs ? model.Predict(x.Row(start)).Reshape(1, -1) : model.Predict(x.Rows(start, count));
            probabilities ??= new Tensor(n, y.Dim(-1));
            y.Span.CopyTo(probabilities.Span.Slice(start * y.Dim(-1)));
            var classes = y.ArgMaxLastAxis();
            for (int i = 0; i < count; i++)
            {
                predicted[start + i] = classes[i];
                correct += classes[i] == labels[start + i] ? 1 : 0;
            }

            progress?.Report(start + count);
        }

        clock.Stop();
        return new EvaluationResult(correct, predicted, probabilities ?? new Tensor(0, 0), clock.Elapsed);
    }
}
