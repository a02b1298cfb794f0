using System.Globalization;

namespace DeepScratch.Functions;

/// <summary>
/// How a label tensor relates to an output of (N, C) or (C,): one-hot (same number of elements as y) or one class index
/// per example, the two forms every loss layer and accuracy in the book accept.
/// </summary>
internal readonly record struct Labels(int BatchSize, int Classes, int[]? Indices)
{
    /// <summary>Reads <paramref name="t"/> against <paramref name="y"/>, with errors naming both shapes.</summary>
    public static Labels Of(Tensor y, Tensor t, string purpose) => Of(y, t, purpose, null);

    /// <summary>
    /// As <see cref="Of(Tensor, Tensor, string)"/>, writing class indices into <paramref name="indexBuffer"/> when it
    /// has exactly one entry per example (else into a new array): a loss layer passes the <see cref="Indices"/> it got
    /// last time, so a training loop's batches of index labels allocate nothing.
    /// </summary>
    public static Labels Of(Tensor y, Tensor t, string purpose, int[]? indexBuffer)
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
            return new Labels(batch, classes, ToIndices(t, classes, purpose, indexBuffer));
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

    private static int[] ToIndices(Tensor t, int classes, string purpose, int[]? buffer)
    {
        var span = t.Span;
        // Every label is checked before the buffer is written: the buffer may hold the previous batch's labels,
        // which a refused batch must leave intact.
        for (int i = 0; i < span.Length; i++)
        {
            float v = span[i];
            if (!(v >= 0 && v < classes) || v != MathF.Floor(v))
            {
                throw new ArgumentException(
                    $"Label {i} of the {purpose} is {v.ToString(CultureInfo.InvariantCulture)}: a class index must be a whole number in [0, {classes}).",
                    nameof(t));
            }
        }

        var indices = buffer is not null && buffer.Length == span.Length ? buffer : new int[span.Length];
        for (int i = 0; i < span.Length; i++)
        {
            indices[i] = (int)span[i];
        }

        return indices;
    }
}
