using System.Globalization;
using System.Text;

namespace DeepScratch.Tensors;

/// <summary>
/// A float32 n-dimensional array: a shape over row-major, contiguous storage (numpy's ndarray, the book's <c>np.array</c>).
/// Views (<see cref="Reshape"/>, <see cref="Rows"/>, <see cref="Row"/>) share storage so batching costs no copy.
/// </summary>
public sealed partial class Tensor
{
    private readonly float[] _data;
    private readonly int _offset;
    private readonly int[] _shape;

    /// <summary>
    /// Wraps <paramref name="data"/> (no copy) as a tensor of <paramref name="shape"/>, which needs at least one
    /// dimension: <c>new Tensor([2f])</c> would otherwise silently be the 0-d scalar 2, so that is refused and
    /// <see cref="Scalar"/> names the 0-d tensor instead.
    /// </summary>
    /// <exception cref="ArgumentException">The shape is empty (use <see cref="Scalar"/>), has a negative dimension,
    /// or does not hold exactly <c>data.Length</c> elements.</exception>
    public Tensor(float[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Length == 0)
        {
            throw new ArgumentException(
                $"No shape was given for {data.Length} value(s); give the shape, e.g. new Tensor(data, {data.Length}), " +
                "or use Tensor.Scalar(value) for a 0-d tensor.", nameof(shape));
        }

        _data = data;
        _offset = 0;
        _shape = CheckedShape(data, shape);
    }

    private Tensor(float[] data, int offset, int[] shape)
    {
        _data = data;
        _offset = offset;
        _shape = shape;
    }

    /// <summary>A tensor of zeros of <paramref name="shape"/> (numpy's <c>np.zeros(shape)</c>); no dimensions gives the 0-d zero.</summary>
    /// <exception cref="ArgumentException">A dimension is negative, or the shape holds more elements than one array can.</exception>
    public static Tensor Zeros(params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return new Tensor(new float[CheckedLength(shape)], 0, (int[])shape.Clone());
    }

    /// <summary>The 0-d tensor (shape <c>()</c>) holding <paramref name="value"/>, numpy's <c>np.array(value)</c>.</summary>
    public static Tensor Scalar(float value) => new([value], 0, []);

    /// <summary>
    /// Wraps <paramref name="data"/> (no copy) as a tensor of a shape read from a file, where <c>()</c> is a real 0-d
    /// array rather than a forgotten shape, so unlike the public constructor it accepts every shape.
    /// </summary>
    /// <exception cref="ArgumentException">The shape has a negative dimension or does not hold exactly <c>data.Length</c> elements.</exception>
    internal static Tensor FromStored(float[] data, int[] shape) => new(data, 0, CheckedShape(data, shape));

    /// <summary>A 1-D tensor of shape <c>(values.Length,)</c> holding a copy of <paramref name="values"/>.</summary>
    public static Tensor FromValues(params float[] values) => new((float[])values.Clone(), values.Length);

    /// <summary>A 2-D tensor from equally long rows (copied).</summary>
    public static Tensor FromRows(params float[][] rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        int cols = rows.Length == 0 ? 0 : rows[0].Length;
        var result = Zeros(rows.Length, cols);
        for (int i = 0; i < rows.Length; i++)
        {
            if (rows[i].Length != cols)
            {
                throw new ArgumentException($"Row {i} has {rows[i].Length} values; row 0 has {cols}. All rows must be equally long.", nameof(rows));
            }

            rows[i].CopyTo(result.Span.Slice(i * cols, cols));
        }

        return result;
    }

    /// <summary>The size of each dimension.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>The number of dimensions (0 for a scalar).</summary>
    public int Rank => _shape.Length;

    /// <summary>The total number of elements.</summary>
    public int Length => (int)CheckedLength(_shape);

    /// <summary>The size of dimension <paramref name="axis"/>; negative axes count from the end.</summary>
    public int Dim(int axis) => _shape[NormalizeAxis(axis)];

    /// <summary>The elements in row-major order, writable.</summary>
    public Span<float> Span => _data.AsSpan(_offset, Length);

    /// <summary>The element at the given indices (one per dimension).</summary>
    public float this[params int[] indices]
    {
        get => _data[_offset + FlatIndex(indices)];
        set => _data[_offset + FlatIndex(indices)] = value;
    }

    /// <summary>The shape formatted as numpy prints it, e.g. <c>(2, 3)</c>.</summary>
    public string ShapeString => FormatShape(_shape);

    /// <summary>A view with a new shape over the same elements; one dimension may be -1 (inferred).</summary>
    /// <exception cref="ArgumentException">The new shape does not hold the same number of elements.</exception>
    public Tensor Reshape(params int[] shape)
    {
        var resolved = (int[])shape.Clone();
        int inferred = Array.IndexOf(resolved, -1);
        if (inferred >= 0)
        {
            long known = 1;
            for (int i = 0; i < resolved.Length; i++)
            {
                if (i != inferred)
                {
                    known *= resolved[i];
                }
            }

            if (known <= 0 || Length % known != 0)
            {
                throw new ArgumentException($"Cannot reshape {ShapeString} ({Length} elements) into {FormatShape(shape)}.", nameof(shape));
            }

            resolved[inferred] = (int)(Length / known);
        }

        if (CheckedLength(resolved) != Length)
        {
            throw new ArgumentException($"Cannot reshape {ShapeString} ({Length} elements) into {FormatShape(shape)}.", nameof(shape));
        }

        return new Tensor(_data, _offset, resolved);
    }

    /// <summary>A view of <paramref name="count"/> consecutive entries along the first axis (a batch of rows).</summary>
    public Tensor Rows(int start, int count)
    {
        RequireRank(1, "Rows");
        if (start < 0 || count < 0 || start > _shape[0] - count)
        {
            throw new ArgumentOutOfRangeException(nameof(start),
                $"Rows {start}..{start + count} are outside a tensor of shape {ShapeString}.");
        }

        var shape = (int[])_shape.Clone();
        shape[0] = count;
        return new Tensor(_data, _offset + start * RowLength, shape);
    }

    /// <summary>A view of entry <paramref name="index"/> along the first axis, with that axis removed.</summary>
    public Tensor Row(int index)
    {
        RequireRank(1, "Row");
        if ((uint)index >= (uint)_shape[0])
        {
            throw new ArgumentOutOfRangeException(nameof(index),
                $"Index {index} is outside a tensor of shape {ShapeString} (valid: 0..{_shape[0] - 1}).");
        }

        return new Tensor(_data, _offset + index * RowLength, _shape[1..]);
    }

    /// <summary>
    /// The entries along the first axis named by <paramref name="rows"/>, in that order, copied into a new tensor:
    /// shape (N, ...) gives (rows.Length, ...). numpy's fancy indexing <c>x[batch_mask]</c>, as the book's training
    /// loops take a mini-batch (<c>x_batch = x_train[batch_mask]</c>); indices may repeat, as
    /// <c>np.random.choice</c>'s do (see <see cref="Training.MiniBatch.RandomChoice"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">The tensor is 0-d (it has no rows).</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index is negative or not below the first dimension N.</exception>
    public Tensor TakeRows(ReadOnlySpan<int> rows)
    {
        RequireRank(1, "TakeRows");
        var result = Zeros([rows.Length, .. _shape[1..]]);
        TakeRows(rows, result);
        return result;
    }

    /// <summary>
    /// <see cref="TakeRows(ReadOnlySpan{int})"/> into <paramref name="destination"/>'s storage instead of a new tensor
    /// (a training loop reuses one batch tensor): its first <c>rows.Length</c> entries along the first axis are overwritten.
    /// Every index is checked before any row is copied, so a bad one leaves the destination as it was. A large batch is
    /// copied in two halves at once (two cores keep twice the memory reads in flight).
    /// </summary>
    /// <exception cref="InvalidOperationException">The tensor is 0-d.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is not of shape (k, ...) with k at least
    /// <c>rows.Length</c> and the same trailing dimensions as this tensor, or shares this tensor's storage.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index is negative or not below the first dimension N.</exception>
    public void TakeRows(ReadOnlySpan<int> rows, Tensor destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        RequireRank(1, "TakeRows");
        if (destination.Rank != Rank || destination._shape[0] < rows.Length || !destination._shape.AsSpan(1).SequenceEqual(_shape.AsSpan(1)))
        {
            throw new ArgumentException(
                $"TakeRows of {rows.Length} row(s) from {ShapeString} needs a destination of shape ({rows.Length}{string.Concat(_shape[1..].Select(d => ", " + d.ToString(CultureInfo.InvariantCulture)))}) or more rows; it is {destination.ShapeString}.",
                nameof(destination));
        }

        if (rows.Length > 0 && destination.Span.Overlaps(Span))
        {
            // numpy's x[mask] always copies; gathering into x's own storage would read rows it has already overwritten.
            throw new ArgumentException("TakeRows must not write into the storage it reads from: give it a separate destination tensor.", nameof(destination));
        }

        for (int i = 0; i < rows.Length; i++)
        {
            if ((uint)rows[i] >= (uint)_shape[0])
            {
                throw new ArgumentOutOfRangeException(nameof(rows),
                    $"Row index {rows[i]} (at position {i}) is outside a tensor of shape {ShapeString} (valid: 0..{_shape[0] - 1}).");
            }
        }

        unsafe
        {
            fixed (float* src = Span)
            fixed (float* dst = destination.Span)
            {
                Kernels.RowGather.Copy(src, RowLength, rows, dst);
            }
        }
    }

    /// <summary>A deep copy with its own storage.</summary>
    public Tensor Clone() => new(Span.ToArray(), 0, (int[])_shape.Clone());

    /// <summary>The elements copied into a new array, row-major.</summary>
    public float[] ToArray() => Span.ToArray();

    /// <summary>Whether the two tensors have identical shapes.</summary>
    public bool SameShape(Tensor other) => Shape.SequenceEqual(other.Shape);

    /// <inheritdoc/>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append("Tensor").Append(ShapeString).Append(" [");
        var span = Span;
        int shown = Math.Min(span.Length, 10);
        for (int i = 0; i < shown; i++)
        {
            sb.Append(i == 0 ? "" : ", ").Append(span[i].ToString("G6", CultureInfo.InvariantCulture));
        }

        return sb.Append(span.Length > shown ? ", ...]" : "]").ToString();
    }

    /// <summary>Formats a shape as numpy does: <c>(2, 3)</c>, <c>(784,)</c>, <c>()</c>.</summary>
    public static string FormatShape(ReadOnlySpan<int> shape) => shape.Length switch
    {
        0 => "()",
        1 => $"({shape[0]},)",
        _ => "(" + string.Join(", ", shape.ToArray()) + ")",
    };

    /// <summary>Elements in one entry along the first axis.</summary>
    internal int RowLength => _shape.Length == 0 ? 1 : (int)CheckedLength(_shape.AsSpan(1));

    private int NormalizeAxis(int axis)
    {
        int normalized = axis < 0 ? axis + _shape.Length : axis;
        if ((uint)normalized >= (uint)_shape.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(axis), $"Axis {axis} does not exist in a tensor of shape {ShapeString}.");
        }

        return normalized;
    }

    private void RequireRank(int minimum, string operation)
    {
        if (_shape.Length < minimum)
        {
            throw new InvalidOperationException($"{operation} needs at least {minimum} dimension(s); this tensor has shape {ShapeString}.");
        }
    }

    private int FlatIndex(int[] indices)
    {
        if (indices.Length != _shape.Length)
        {
            throw new ArgumentException($"A tensor of shape {ShapeString} takes {_shape.Length} indices, not {indices.Length}.", nameof(indices));
        }

        int flat = 0;
        for (int i = 0; i < indices.Length; i++)
        {
            if ((uint)indices[i] >= (uint)_shape[i])
            {
                throw new ArgumentOutOfRangeException(nameof(indices),
                    $"Index {indices[i]} is outside dimension {i} (size {_shape[i]}) of a tensor of shape {ShapeString}.");
            }

            flat = flat * _shape[i] + indices[i];
        }

        return flat;
    }

    /// <summary>A private copy of <paramref name="shape"/> after checking that it holds exactly <c>data.Length</c> elements.</summary>
    private static int[] CheckedShape(float[] data, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        long length = CheckedLength(shape);
        if (length != data.Length)
        {
            throw new ArgumentException(
                $"Shape {FormatShape(shape)} holds {length} elements but {data.Length} values were given.", nameof(shape));
        }

        return (int[])shape.Clone();
    }

    private static long CheckedLength(ReadOnlySpan<int> shape)
    {
        long length = 1;
        foreach (int d in shape)
        {
            if (d < 0)
            {
                throw new ArgumentException($"Shape {FormatShape(shape)} has a negative dimension.", nameof(shape));
            }

            length *= d;
            if (length > Array.MaxLength)
            {
                throw new ArgumentException($"Shape {FormatShape(shape)} has more elements than one array can hold.", nameof(shape));
            }
        }

        return length;
    }
}
