using System.Numerics.Tensors;

namespace DeepScratch.Tensors;

/// <summary>
/// Reductions along the first axis (the book's <c>np.sum(dout, axis=0)</c> for a bias gradient, BatchNorm's batch
/// mean) and numpy's broadcast of a row vector over every row, vectorised one row at a time.
/// </summary>
public sealed partial class Tensor
{
    /// <summary>Sums over the first axis: (N, C) gives (C,), the bias gradient db = Σ dout over the batch.</summary>
    /// <exception cref="InvalidOperationException">The tensor is a scalar (it has no first axis).</exception>
    public Tensor SumAxis0()
    {
        RequireRank(1, "SumAxis0");
        var result = Tensor.Zeros(_shape[1..]);
        SumAxis0(result);
        return result;
    }

    /// <summary>Sums over the first axis into <paramref name="destination"/> (overwritten), e.g. a parameter's gradient buffer.</summary>
    /// <exception cref="ArgumentException">The destination's shape is not this tensor's without its first axis.</exception>
    public void SumAxis0(Tensor destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        RequireRank(1, "SumAxis0");
        if (!destination.Shape.SequenceEqual(Shape[1..]))
        {
            throw new ArgumentException(
                $"The sum over the first axis of a tensor of shape {ShapeString} has shape {FormatShape(Shape[1..])}, not {destination.ShapeString}.",
                nameof(destination));
        }

        var dst = destination.Span;
        dst.Clear();
        var src = Span;
        int cols = dst.Length;
        for (int start = 0; start < src.Length; start += cols)
        {
            TensorPrimitives.Add(dst, src.Slice(start, cols), dst);
        }
    }

    /// <summary>The mean over the first axis: (N, C) gives (C,), BatchNorm's per-feature batch mean.</summary>
    /// <exception cref="InvalidOperationException">The tensor is a scalar or its first axis is empty.</exception>
    public Tensor MeanAxis0()
    {
        RequireRank(1, "MeanAxis0");
        if (_shape[0] == 0)
        {
            throw new InvalidOperationException($"The mean over an empty first axis (shape {ShapeString}) is undefined.");
        }

        var result = SumAxis0();
        TensorPrimitives.Divide(result.Span, _shape[0], result.Span);
        return result;
    }

    /// <summary>Subtracts <paramref name="row"/> (one value per column) from every row: <c>x - mu</c> in numpy.</summary>
    /// <exception cref="ArgumentException">The row's length is not the size of the last axis.</exception>
    public Tensor SubtractRowVector(Tensor row) => BroadcastRow(row, "subtract", TensorPrimitives.Subtract);

    /// <summary>Multiplies every row element-wise by <paramref name="row"/>: <c>gamma * xn</c> in numpy.</summary>
    /// <exception cref="ArgumentException">The row's length is not the size of the last axis.</exception>
    public Tensor MultiplyRowVector(Tensor row) => BroadcastRow(row, "multiply", TensorPrimitives.Multiply);

    /// <summary>Divides every row element-wise by <paramref name="row"/>: <c>xc / std</c> in numpy.</summary>
    /// <exception cref="ArgumentException">The row's length is not the size of the last axis.</exception>
    public Tensor DivideRowVector(Tensor row) => BroadcastRow(row, "divide", TensorPrimitives.Divide);

    private Tensor BroadcastRow(Tensor row, string operation, SpanBinary op)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (!FitsRows(row, out int cols))
        {
            throw new ArgumentException(
                $"Cannot {operation} the rows of a tensor of shape {ShapeString} by a tensor of shape {row.ShapeString}: it needs shape ({cols},).",
                nameof(row));
        }

        var result = Tensor.Zeros(_shape);
        ApplyToRows(row, op, result);
        return result;
    }

    /// <summary>Whether <paramref name="row"/> is a (cols,) vector for the last axis, numpy's row broadcast.</summary>
    private bool FitsRows(Tensor row, out int cols)
    {
        cols = Rank == 0 ? 1 : _shape[^1];
        return row.Rank == 1 && row.Length == cols;
    }

    /// <summary>
    /// destination row i = op(this row i, <paramref name="row"/>) after <see cref="FitsRows"/>: the one loop behind
    /// the bias add and the row-wise subtract, multiply and divide; <paramref name="destination"/> may be this tensor.
    /// </summary>
    private void ApplyToRows(Tensor row, SpanBinary op, Tensor destination)
    {
        int cols = row.Length;
        var src = Span;
        var dst = destination.Span;
        var r = row.Span;
        for (int start = 0; start < src.Length; start += cols)
        {
            op(src.Slice(start, cols), r, dst.Slice(start, cols));
        }
    }
}
