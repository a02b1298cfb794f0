using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
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
        if (x.Length <= 16)
        {
            SoftmaxShort(x, destination);
            return;
        }

        float max = TensorPrimitives.Max(x);
        float sum = VectorMath.ExpShiftedAndSum(x, max, destination);
        TensorPrimitives.Divide(destination[..x.Length], sum, destination);
    }

    /// <summary>Rows of up to 16 values (the book's 10 classes) through the same routine the fused GEMM epilogue uses.</summary>
    private static void SoftmaxShort(ReadOnlySpan<float> x, Span<float> destination)
    {
        Span<float> row = stackalloc float[16];
        x.CopyTo(row);
        var lo = Vector256.Create((ReadOnlySpan<float>)row[..8]);
        var hi = Vector256.Create((ReadOnlySpan<float>)row[8..]);
        VectorMath.Softmax16(ref lo, ref hi, x.Length);
        lo.CopyTo(row);
        hi.CopyTo(row[8..]);
        row[..x.Length].CopyTo(destination);
    }
}
