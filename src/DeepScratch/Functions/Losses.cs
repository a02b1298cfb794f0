using System.Globalization;

namespace DeepScratch.Functions;

/// <summary>
/// The loss functions of chapter 4 (<c>sum_squared_error</c>, <c>cross_entropy_error</c>): how far a network's output
/// is from the labels, the quantity learning makes small. They are summed in double precision so that a numerical
/// gradient of a float32 network is not swamped by rounding.
/// </summary>
public static class Losses
{
    /// <summary>The book's guard against log(0) = -inf in the cross-entropy error.</summary>
    public const double Delta = 1e-7;

    /// <summary>
    /// The book's <c>0.5 * np.sum((y - t)**2)</c>: half the sum of squared differences, over all elements (a batch is
    /// summed, not averaged, as in the book).
    /// </summary>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public static double SumSquaredError(Tensor y, Tensor t)
    {
        ArgumentNullException.ThrowIfNull(y);
        ArgumentNullException.ThrowIfNull(t);
        if (!y.SameShape(t))
        {
            throw new ArgumentException($"The sum of squared errors needs y and t of one shape; got {y.ShapeString} and {t.ShapeString}.");
        }

        var ys = y.Span;
        var ts = t.Span;
        double sum = 0;
        for (int i = 0; i < ys.Length; i++)
        {
            double d = (double)ys[i] - ts[i];
            sum += d * d;
        }

        return 0.5 * sum;
    }

    /// <summary>
    /// The book's <c>-np.sum(t * np.log(y + 1e-7)) / batch_size</c>. <paramref name="y"/> is one example (C,) or a batch
    /// (N, C) of probabilities; <paramref name="t"/> is one-hot (the same shape as y) or class indices ((N,), or a scalar
    /// for one example).
    /// </summary>
    /// <exception cref="ArgumentException">t fits neither form, or an index is not a whole number in [0, C).</exception>
    public static double CrossEntropyError(Tensor y, Tensor t)
    {
        var labels = Labels.Of(y, t, "cross-entropy error");
        var ys = y.Span;
        int classes = labels.Classes;
        double sum = 0;
        if (labels.Indices is { } indices)
        {
            for (int i = 0; i < indices.Length; i++)
            {
                sum += Math.Log(ys[i * classes + indices[i]] + Delta);
            }
        }
        else
        {
            var ts = t.Span;
            for (int i = 0; i < ys.Length; i++)
            {
                if (ts[i] != 0f)
                {
                    sum += ts[i] * Math.Log(ys[i] + Delta);
                }
            }
        }

        return -sum / labels.BatchSize;
    }

    /// <summary>
    /// The cross-entropy error of softmax(<paramref name="scores"/>), the softmax recomputed in double precision: what
    /// SoftmaxWithLoss reports, so that the loss of a float32 network moves smoothly under a numerical gradient's nudges.
    /// </summary>
    internal static double SoftmaxCrossEntropy(Tensor scores, Tensor t)
    {
        var labels = Labels.Of(scores, t, "softmax cross-entropy");
        var s = scores.Span;
        var ts = t.Span;
        int classes = labels.Classes;
        Span<double> y = classes <= 256 ? stackalloc double[classes] : new double[classes];
        double sum = 0;
        for (int row = 0; row < labels.BatchSize; row++)
        {
            var x = s.Slice(row * classes, classes);
            double max = double.NegativeInfinity;
            foreach (float v in x)
            {
                max = Math.Max(max, v);
            }

            double total = 0;
            for (int j = 0; j < classes; j++)
            {
                y[j] = Math.Exp(x[j] - max);
                total += y[j];
            }

            if (labels.Indices is { } indices)
            {
                sum += Math.Log(y[indices[row]] / total + Delta);
                continue;
            }

            for (int j = 0; j < classes; j++)
            {
                float tj = ts[row * classes + j];
                if (tj != 0f)
                {
                    sum += tj * Math.Log(y[j] / total + Delta);
                }
            }
        }

        return -sum / labels.BatchSize;
    }
}

/// <summary>
/// How a label tensor relates to an output of (N, C) or (C,): one-hot (same number of elements as y) or one class index
/// per example, the two forms every loss layer and accuracy in the book accept.
/// </summary>
internal readonly record struct Labels(int BatchSize, int Classes, int[]? Indices)
{
    /// <summary>Reads <paramref name="t"/> against <paramref name="y"/>, with errors naming both shapes.</summary>
    public static Labels Of(Tensor y, Tensor t, string purpose)
    {
        ArgumentNullException.ThrowIfNull(y);
        ArgumentNullException.ThrowIfNull(t);
        if (y.Rank == 0 || y.Dim(-1) == 0)
        {
            throw new ArgumentException($"The {purpose} needs outputs with a non-empty class axis; got shape {y.ShapeString}.", nameof(y));
        }

        int classes = y.Dim(-1);
        int batch = y.Length / classes;
        if (t.Length == y.Length && (t.SameShape(y) || t.Rank == 1 || y.Rank == 1))
        {
            return new Labels(batch, classes, null);
        }

        if (t.Length == batch && t.Rank <= 1)
        {
            return new Labels(batch, classes, ToIndices(t, classes, purpose));
        }

        throw new ArgumentException(
            $"The {purpose} of outputs of shape {y.ShapeString} needs labels one-hot of that shape or one class index per example " +
            $"(shape ({batch},)); got shape {t.ShapeString}.",
            nameof(t));
    }

    /// <summary>The class of each example: the index labels themselves, or the argmax of each one-hot row.</summary>
    public static int[] Classify(Tensor y, Tensor t, string purpose)
    {
        var labels = Of(y, t, purpose);
        return labels.Indices ?? t.Reshape(labels.BatchSize, labels.Classes).ArgMaxLastAxis();
    }

    private static int[] ToIndices(Tensor t, int classes, string purpose)
    {
        var span = t.Span;
        var indices = new int[span.Length];
        for (int i = 0; i < span.Length; i++)
        {
            float v = span[i];
            if (!(v >= 0 && v < classes) || v != MathF.Floor(v))
            {
                throw new ArgumentException(
                    $"Label {i} of the {purpose} is {v.ToString(CultureInfo.InvariantCulture)}: a class index must be a whole number in [0, {classes}).",
                    nameof(t));
            }

            indices[i] = (int)v;
        }

        return indices;
    }
}
