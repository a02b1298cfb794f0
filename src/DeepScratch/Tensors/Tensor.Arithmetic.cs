using System.Numerics.Tensors;

namespace DeepScratch.Tensors;

/// <summary>Element-wise arithmetic: each operation returns a new tensor and leaves its operands untouched.</summary>
public sealed partial class Tensor
{
    /// <summary>Element-wise sum of two tensors of the same shape.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => Zip(a, b, "add", TensorPrimitives.Add);

    /// <summary>Element-wise difference of two tensors of the same shape.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => Zip(a, b, "subtract", TensorPrimitives.Subtract);

    /// <summary>Element-wise product of two tensors of the same shape (numpy's <c>*</c>, not a matrix product).</summary>
    public static Tensor operator *(Tensor a, Tensor b) => Zip(a, b, "multiply", TensorPrimitives.Multiply);

    /// <summary>Element-wise quotient of two tensors of the same shape.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => Zip(a, b, "divide", TensorPrimitives.Divide);

    /// <summary>Adds a scalar to every element.</summary>
    public static Tensor operator +(Tensor a, float s) => Map(a, s, TensorPrimitives.Add);

    /// <summary>Subtracts a scalar from every element.</summary>
    public static Tensor operator -(Tensor a, float s) => Map(a, s, TensorPrimitives.Subtract);

    /// <summary>Multiplies every element by a scalar.</summary>
    public static Tensor operator *(Tensor a, float s) => Map(a, s, TensorPrimitives.Multiply);

    /// <summary>Multiplies every element by a scalar.</summary>
    public static Tensor operator *(float s, Tensor a) => Map(a, s, TensorPrimitives.Multiply);

    /// <summary>Divides every element by a scalar.</summary>
    public static Tensor operator /(Tensor a, float s) => Map(a, s, TensorPrimitives.Divide);

    /// <summary>Negates every element.</summary>
    public static Tensor operator -(Tensor a)
    {
        var result = Tensor.Zeros(a._shape);
        TensorPrimitives.Negate(a.Span, result.Span);
        return result;
    }

    /// <summary>
    /// Adds <paramref name="bias"/> (one value per column) to every row: numpy's broadcast in <c>np.dot(x, W) + b</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The bias length is not the size of the last axis.</exception>
    public Tensor AddRowVector(Tensor bias)
    {
        var result = Clone();
        result.AddRowVectorInPlace(bias);
        return result;
    }

    /// <summary>In-place form of <see cref="AddRowVector"/>, for buffers the caller owns.</summary>
    public void AddRowVectorInPlace(Tensor bias)
    {
        ArgumentNullException.ThrowIfNull(bias);
        if (!FitsRows(bias, out int cols))
        {
            throw new ArgumentException(
                $"Cannot add a bias of shape {bias.ShapeString} to the rows of a tensor of shape {ShapeString}: the bias needs shape ({cols},).",
                nameof(bias));
        }

        ApplyToRows(bias, TensorPrimitives.Add, this);
    }

    private static Tensor Zip(Tensor a, Tensor b, string operation, SpanBinary op)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (!a.SameShape(b))
        {
            throw new ArgumentException(
                $"Cannot {operation} tensors of shapes {a.ShapeString} and {b.ShapeString} element-wise: shapes must be equal (use AddRowVector for a bias row).");
        }

        var result = Tensor.Zeros(a._shape);
        op(a.Span, b.Span, result.Span);
        return result;
    }

    private static Tensor Map(Tensor a, float s, SpanScalar op)
    {
        ArgumentNullException.ThrowIfNull(a);
        var result = Tensor.Zeros(a._shape);
        op(a.Span, s, result.Span);
        return result;
    }

    private delegate void SpanBinary(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> destination);

    private delegate void SpanScalar(ReadOnlySpan<float> x, float y, Span<float> destination);
}
