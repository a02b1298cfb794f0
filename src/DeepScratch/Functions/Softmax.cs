using System.Numerics.Tensors;
using DeepScratch.Kernels;
using DeepScratch.Tensors;

namespace DeepScratch.Functions;

public static partial class Activations
{
    /// <summary>
    /// Softmax over the last axis: a vector, or each row of a batch. It subtracts each row's maximum before
    /// exponentiating, so softmax([1010, 1000, 990]) is finite (the book's overflow countermeasure).
    /// </summary>
    public static Tensor Softmax(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank == 0 || x.Dim(-1) == 0)
        {
            throw new ArgumentException($"Softmax needs a non-empty last axis; got shape {x.ShapeString}.", nameof(x));
        }

        var y = new Tensor(x.Shape.ToArray());
        int cols = x.Dim(-1);
        var src = x.Span;
        var dst = y.Span;
        for (int start = 0; start < src.Length; start += cols)
        {
            Softmax(src.Slice(start, cols), dst.Slice(start, cols));
        }

        return y;
    }

    /// <summary>
    /// Softmax of one row into <paramref name="destination"/> (may be the same span): after the maximum, one pass
    /// computes each exp(x - max) and their sum together, then each is divided by the sum. Not
    /// <c>TensorPrimitives.SoftMax</c>, which does not subtract the maximum and returns NaN for large inputs.
    /// </summary>
    public static void Softmax(ReadOnlySpan<float> x, Span<float> destination)
    {
        float max = TensorPrimitives.Max(x);
        float sum = VectorMath.ExpShiftedAndSum(x, max, destination);
        TensorPrimitives.Divide(destination[..x.Length], sum, destination);
    }
}
