using System.Numerics.Tensors;

namespace DeepScratch.Tensors;

/// <summary>Reductions over all elements and along the last axis (numpy's <c>axis=-1</c> / the book's <c>axis=1</c> on a batch).</summary>
public sealed partial class Tensor
{
    /// <summary>The sum of all elements.</summary>
    public float Sum() => TensorPrimitives.Sum<float>(Span);

    /// <summary>The largest element.</summary>
    /// <exception cref="InvalidOperationException">The tensor is empty.</exception>
    public float Max()
    {
        RequireNonEmpty("Max");
        return TensorPrimitives.Max<float>(Span);
    }

    /// <summary>The smallest element.</summary>
    /// <exception cref="InvalidOperationException">The tensor is empty.</exception>
    public float Min()
    {
        RequireNonEmpty("Min");
        return TensorPrimitives.Min<float>(Span);
    }

    /// <summary>The flat index of the largest element (the first one on ties, as numpy).</summary>
    public int ArgMax()
    {
        RequireNonEmpty("ArgMax");
        return TensorPrimitives.IndexOfMax<float>(Span);
    }

    /// <summary>Sums along the last axis: shape (N, C) gives (N,); a vector gives a scalar tensor.</summary>
    public Tensor SumLastAxis() => ReduceLastAxis("SumLastAxis", static row => TensorPrimitives.Sum<float>(row));

    /// <summary>The maximum along the last axis: shape (N, C) gives (N,).</summary>
    public Tensor MaxLastAxis() => ReduceLastAxis("MaxLastAxis", static row => TensorPrimitives.Max<float>(row));

    /// <summary>The index of the maximum along the last axis, one per row: the predicted class of each row of scores.</summary>
    public int[] ArgMaxLastAxis()
    {
        var (rows, cols) = LastAxisLayout("ArgMaxLastAxis");
        var result = new int[rows];
        var span = Span;
        for (int i = 0; i < rows; i++)
        {
            result[i] = TensorPrimitives.IndexOfMax<float>(span.Slice(i * cols, cols));
        }

        return result;
    }

    private Tensor ReduceLastAxis(string name, RowReducer reduce)
    {
        var (rows, cols) = LastAxisLayout(name);
        var result = Tensor.Zeros(_shape[..^1]);
        var src = Span;
        var dst = result.Span;
        for (int i = 0; i < rows; i++)
        {
            dst[i] = reduce(src.Slice(i * cols, cols));
        }

        return result;
    }

    private (int Rows, int Cols) LastAxisLayout(string name)
    {
        if (Rank == 0 || _shape[^1] == 0)
        {
            throw new InvalidOperationException($"{name} needs a non-empty last axis; this tensor has shape {ShapeString}.");
        }

        int cols = _shape[^1];
        return (Length / cols, cols);
    }

    private void RequireNonEmpty(string name)
    {
        if (Length == 0)
        {
            throw new InvalidOperationException($"{name} of an empty tensor (shape {ShapeString}) is undefined.");
        }
    }

    private delegate float RowReducer(ReadOnlySpan<float> row);
}
