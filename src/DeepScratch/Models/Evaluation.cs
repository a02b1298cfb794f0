using System.Diagnostics;
using System.Numerics.Tensors;
using DeepScratch.Data;

namespace DeepScratch.Models;

/// <summary>Receives one scored example during a streaming evaluation.</summary>
/// <param name="index">The example's position in the set.</param>
/// <param name="label">Its true class.</param>
/// <param name="predicted">The predicted class (the first of equal maxima, as numpy's <c>argmax</c>).</param>
/// <param name="probabilities">Its class probabilities; valid only during the call.</param>
public delegate void ExampleScored(int index, int label, int predicted, ReadOnlySpan<float> probabilities);

/// <summary>Accuracy of a classifier, one example at a time or in batches (the book's two loops in chapter 3).</summary>
public static class Evaluation
{
    /// <summary>
    /// The most class probabilities a streaming evaluation holds at once (16 MB): a batch of a network with very many
    /// classes is scored in smaller pieces, which gives the same classes since every example is computed on its own.
    /// </summary>
    public const int MaxProbabilitiesHeld = 1 << 22;

    /// <summary>
    /// The most values of one layer a streaming evaluation's session holds per buffer (2^24 floats, 64 MB): a batch
    /// of a network with very wide layers is scored in smaller pieces (as for <see cref="MaxProbabilitiesHeld"/>), so
    /// the batch size never makes a buffer exceed an array or the memory; the book's CNNs still take batches of about a thousand.
    /// </summary>
    public const int MaxActivationsHeld = 1 << 24;

    /// <summary>
    /// Scores a test set as it is read, <paramref name="batchSize"/> examples at a time (the book's batch loop), or
    /// one image at a time without a batch axis when <paramref name="perImage"/> (its first loop). The image size is
    /// checked against the model before any pixel is read; memory is bounded by the batch x classes plus the model,
    /// never by the size of the set. A network with a fused predictor (<see cref="IClassifier.CreatePredictor"/>) gets raw pixels.
    /// </summary>
    /// <param name="model">The classifier.</param>
    /// <param name="data">The set, positioned at its first example.</param>
    /// <param name="batchSize">Examples per batch (ignored when <paramref name="perImage"/>).</param>
    /// <param name="perImage">Predict one image at a time, each without a batch axis.</param>
    /// <param name="onExample">Called for every example in order, e.g. to write a predictions file row by row.</param>
    /// <exception cref="ArgumentOutOfRangeException">The batch size is not positive.</exception>
    /// <exception cref="InvalidDataException">
    /// The images do not have the model's input size, a data file is broken, or the network's outputs are not finite
    /// (huge finite weights overflow float32; see <see cref="ThrowIfNotFinite"/>).
    /// </exception>
    public static EvaluationSummary Evaluate(
        IClassifier model, MnistReader data, int batchSize, bool perImage = false, ExampleScored? onExample = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        CheckBatchSize(batchSize);

        int inputs = model.InputShape.Aggregate(1, (a, b) => a * b);
        if (inputs != data.ImageSize)
        {
            throw new InvalidDataException(
                $"the network takes {inputs} inputs but the images of {data.ImagesPath} have {data.ImageSize} pixels ({data.Rows}x{data.Columns}).");
        }

        int classes = Math.Max(1, model.Classes);
        // Compiled first so that the chunk also fits the engine's widest step (a session holds chunk x that many floats).
        var engine = model.CompileInference();
        int chunk = perImage ? 1 : Math.Clamp(Math.Min(batchSize, Math.Min(MaxProbabilitiesHeld / classes, SessionBatch(engine))), 1, Math.Max(data.Count - data.Position, 1));
        var pixels = new byte[chunk * inputs];
        var labels = new byte[chunk];
        var predictor = engine?.CreateSession(chunk);
        var x = predictor is null ? new float[chunk * inputs] : null;
        var probabilities = predictor is null ? null : new float[chunk * classes];
        int correct = 0, total = 0;
        long ticks = 0;
        int count;
        while ((count = data.Read(pixels, labels)) > 0)
        {
            long start = Stopwatch.GetTimestamp();
            ReadOnlySpan<float> y;
            int width;
            if (predictor is not null)
            {
                predictor.PredictPixels(pixels.AsSpan(0, count * inputs), count, probabilities.AsSpan(0, count * classes));
                y = probabilities.AsSpan(0, count * classes);
                width = classes;
            }
            else
            {
                Tensor.ConvertPixels(pixels.AsSpan(0, count * inputs), x.AsSpan(0, count * inputs), normalize: true);
                var output = perImage
                    ? model.Predict(new Tensor(x!.AsSpan(0, inputs).ToArray(), [.. model.InputShape]))
                    : model.Predict(new Tensor(x!.AsSpan(0, count * inputs).ToArray(), [count, .. model.InputShape]));
                y = output.Span;
                width = y.Length / count;
            }

            ticks += Stopwatch.GetTimestamp() - start;
            ThrowIfNotFinite(model, y[..(count * width)], width, total, "image");
            for (int i = 0; i < count; i++)
            {
                var row = y.Slice(i * width, width);
                int predicted = TensorPrimitives.IndexOfMax(row);
                correct += predicted == labels[i] ? 1 : 0;
                onExample?.Invoke(total + i, labels[i], predicted, row);
            }

            total += count;
        }

        return new EvaluationSummary(correct, total, Stopwatch.GetElapsedTime(0, ticks));
    }

    /// <summary>
    /// The book's batch loop: predicts <paramref name="x"/> (N, ...) <paramref name="batchSize"/> rows at a time and
    /// compares with <paramref name="labels"/>.
    /// </summary>
    /// <param name="model">The classifier.</param>
    /// <param name="x">The inputs, first axis the examples.</param>
    /// <param name="labels">The true class of each example.</param>
    /// <param name="batchSize">Examples per call to <see cref="IClassifier.Predict"/>.</param>
    /// <remarks>
    /// Returns every example's probabilities, so it holds N x classes floats; to score a set of any size in memory
    /// bounded by the batch, stream it with <see cref="Evaluate(IClassifier, MnistReader, int, bool, ExampleScored?)"/>.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">The batch size is not positive.</exception>
    /// <exception cref="ArgumentException">The number of labels differs from the number of examples.</exception>
    /// <exception cref="InvalidDataException">The network's outputs are not finite (see <see cref="ThrowIfNotFinite"/>).</exception>
    public static EvaluationResult Evaluate(IClassifier model, Tensor x, ReadOnlySpan<byte> labels, int batchSize) =>
        Run(model, x, labels, batchSize, singleInputs: false);

    /// <summary>The book's first loop: predicts one image at a time, each without a batch axis, as <c>predict(network, x[i])</c>.</summary>
    /// <exception cref="ArgumentException">The number of labels differs from the number of examples.</exception>
    /// <exception cref="InvalidDataException">The network's outputs are not finite (see <see cref="ThrowIfNotFinite"/>).</exception>
    public static EvaluationResult EvaluatePerImage(IClassifier model, Tensor x, ReadOnlySpan<byte> labels) =>
        Run(model, x, labels, 1, singleInputs: true);

    /// <summary>
    /// The fast path: scores raw pixels (<see cref="InferenceSession.InputSize"/> bytes per image) in batches of
    /// <paramref name="batchSize"/> through a fused predictor; batch size 1 is the one-image loop.
    /// </summary>
    /// <remarks>Holds N x classes probabilities, as the other in-memory overload; the streaming overload does not.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The batch size is not positive.</exception>
    /// <exception cref="InvalidDataException">The network's outputs are not finite (see <see cref="ThrowIfNotFinite"/>).</exception>
    public static EvaluationResult Evaluate(ThreeLayerNet network, ReadOnlySpan<byte> pixels, ReadOnlySpan<byte> labels, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(network);
        CheckBatchSize(batchSize);

        int n = labels.Length;
        var engine = network.CompileInference();
        var predictor = engine.CreateSession(Math.Min(Math.Min(batchSize, SessionBatch(engine)), Math.Max(n, 1)));
        int inputs = predictor.InputSize;
        int classes = predictor.Classes;
        if (pixels.Length != (long)n * inputs)
        {
            throw new ArgumentException($"{pixels.Length} pixel bytes are not {n} images of {inputs}.", nameof(pixels));
        }

        var probabilities = Tensor.Zeros(n, classes);
        var clock = Stopwatch.StartNew();
        for (int start = 0; start < n; start += predictor.MaxBatch)
        {
            int count = Math.Min(predictor.MaxBatch, n - start);
            predictor.PredictPixels(pixels.Slice(start * inputs, count * inputs), count, probabilities.Span.Slice(start * classes, count * classes));
        }

        clock.Stop();
        ThrowIfNotFinite(network, probabilities.Span, classes, 0, "image");
        var predicted = probabilities.ArgMaxLastAxis();
        int correct = 0;
        for (int i = 0; i < n; i++)
        {
            correct += predicted[i] == labels[i] ? 1 : 0;
        }

        return new EvaluationResult(correct, predicted, probabilities, clock.Elapsed);
    }

    /// <summary>The most examples a session of <paramref name="engine"/> takes within <see cref="MaxActivationsHeld"/> (at least 1; any batch with no engine).</summary>
    private static int SessionBatch(InferenceEngine? engine) =>
        engine is null ? int.MaxValue : Math.Max(1, MaxActivationsHeld / engine.WidestStep);

    private static EvaluationResult Run(IClassifier model, Tensor x, ReadOnlySpan<byte> labels, int batchSize, bool singleInputs)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(x);
        CheckBatchSize(batchSize);
        int n = x.Dim(0);
        if (labels.Length != n)
        {
            throw new ArgumentException($"{n} examples but {labels.Length} labels.", nameof(labels));
        }

        var expected = new int[n];
        for (int i = 0; i < n; i++)
        {
            expected[i] = labels[i];
        }

        Tensor? probabilities = null;
        var predicted = new int[n];
        var clock = Stopwatch.StartNew();
        int correct = CountCorrect(x, batchSize, singleInputs, model.Predict, (y, start) => expected.AsSpan(start, y.Dim(0)), (start, y, classes) =>
        {
            ThrowIfNotFinite(model, y.Span, y.Dim(-1), start, "example");
            probabilities ??= Tensor.Zeros(n, y.Dim(-1));
            y.Span.CopyTo(probabilities.Span.Slice(start * y.Dim(-1)));
            classes.CopyTo(predicted, start);
        });
        clock.Stop();
        return new EvaluationResult(correct, predicted, probabilities ?? Tensor.Zeros(0, 0), clock.Elapsed);
    }

    /// <summary>The true classes of the examples of one batch, given its outputs (N, classes) and its first example's index.</summary>
    internal delegate ReadOnlySpan<int> BatchLabels(Tensor outputs, int start);

    /// <summary>
    /// The one accuracy loop (the book's batch loop of chapter 3, its <c>accuracy</c> of chapters 4-6): runs
    /// <paramref name="predict"/> on <paramref name="batchSize"/> rows of <paramref name="x"/> at a time (one row
    /// without its batch axis when <paramref name="singleInputs"/>), takes each output row's argmax (the first of equal
    /// maxima, as numpy) and counts those equal to <paramref name="labels"/>; <paramref name="onBatch"/> sees each
    /// batch's outputs (N, classes) and predicted classes.
    /// </summary>
    /// <returns>How many examples were predicted correctly.</returns>
    internal static int CountCorrect(Tensor x, int batchSize, bool singleInputs, Func<Tensor, Tensor> predict, BatchLabels labels,
        Action<int, Tensor, int[]>? onBatch = null)
    {
        CheckBatchSize(batchSize);
        int n = x.Dim(0);
        int correct = 0;
        for (int start = 0; start < n; start += batchSize)
        {
            int count = Math.Min(batchSize, n - start);
            var y = singleInputs ? predict(x.Row(start)).Reshape(1, -1) : predict(x.Rows(start, count));
            var predicted = y.ArgMaxLastAxis();
            var expected = labels(y, start);
            for (int i = 0; i < count; i++)
            {
                correct += predicted[i] == expected[i] ? 1 : 0;
            }

            onBatch?.Invoke(start, y, predicted);
        }

        return correct;
    }

    /// <summary>
    /// Refuses outputs that are not finite: weights that are finite but huge (|W| near float32's 3.4e38) overflow the
    /// products to ±∞ and softmax to NaN, and argmax of NaN would give a wrong accuracy with no warning. Checks the rows
    /// the caller already has (one pass over N x classes floats, no pass over the inputs).
    /// </summary>
    /// <param name="model">The network that produced the outputs (its largest weight is named in the message).</param>
    /// <param name="outputs">Rows of <paramref name="classes"/> outputs, row-major.</param>
    /// <param name="classes">Outputs per row.</param>
    /// <param name="firstIndex">The index of the first row in its set, for the message.</param>
    /// <param name="what">What a row is, for the message ("image", "example").</param>
    /// <exception cref="InvalidDataException">An output is NaN or ±∞; the message names the first such row and the largest weight.</exception>
    public static void ThrowIfNotFinite(IClassifier model, ReadOnlySpan<float> outputs, int classes, int firstIndex, string what)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!TensorPrimitives.IsFiniteAll(outputs))
        {
            int at = 0;
            for (int i = 0; i < outputs.Length; i++)
            {
                if (!float.IsFinite(outputs[i]))
                {
                    at = i;
                    break;
                }
            }

            string kind = float.IsNaN(outputs[at]) ? "NaN" : "infinite";
            // Weights are checked finite on load, so huge ones are the cause; with ordinary weights, the inputs are suspect.
            string cause = LargestWeight(model) is var (name, value)
                ? value >= OverflowingWeight
                    ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $": its weights overflow float32 arithmetic (largest |{name}| is {value:0.##e+0})")
                    : string.Create(System.Globalization.CultureInfo.InvariantCulture, $": are its inputs finite? (largest |{name}| is {value:G3})")
                : "";
            throw new InvalidDataException($"the network's outputs are not finite ({kind}) for {what} {firstIndex + at / Math.Max(classes, 1)}{cause}.");
        }
    }

    /// <summary>A weight this large can overflow float32 (3.4e38) in a sum of a few hundred products.</summary>
    private const float OverflowingWeight = 1e30f;

    /// <summary>The parameter holding the largest |value| and that value, when the model exposes its parameters.</summary>
    private static (string Name, float Value)? LargestWeight(IClassifier model)
    {
        IEnumerable<(string Name, Tensor Value)> named = model switch
        {
            ThreeLayerNet t => ThreeLayerNet.Named(t),
            INetwork n => n.Parameters.Select(p => (p.Name, p.Value)),
            _ => [],
        };
        (string Name, float Value)? largest = null;
        foreach (var (name, value) in named)
        {
            if (value.Length == 0)
            {
                continue;
            }

            float max = Math.Abs(TensorPrimitives.MaxMagnitude(value.Span));
            if (largest is null || max > largest.Value.Value)
            {
                largest = (name, max);
            }
        }

        return largest;
    }

    /// <summary>The batch-size rule every evaluation and accuracy shares.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The batch size is not positive.</exception>
    internal static void CheckBatchSize(int batchSize)
    {
        if (batchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), $"Batch size must be at least 1; got {batchSize}.");
        }
    }
}
