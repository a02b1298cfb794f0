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
    internal static double SoftmaxCrossEntropy(Tensor scores, Tensor t) =>
        SoftmaxCrossEntropy(scores, t, Labels.Of(scores, t, "softmax cross-entropy"));

    /// <summary>As <see cref="SoftmaxCrossEntropy(Tensor, Tensor)"/> with the labels already read (the loss layer reads them once).</summary>
    internal static double SoftmaxCrossEntropy(Tensor scores, Tensor t, Labels labels)
    {
        var s = scores.Span;
        var ts = t.Span;
        int classes = labels.Classes;
        // One row's exponentials; on the stack for any classifier of the book's size (no allocation per batch).
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
