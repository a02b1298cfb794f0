using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace DeepScratch.Kernels;

/// <summary>
/// The vectorised softmax of one row behind <c>Activations.Softmax</c>: the same three steps as the book (max, exp of
/// the shifted values with their sum, division by the sum), with the exp of <see cref="VectorMath"/>.
/// </summary>
internal static class SoftmaxKernel
{
    /// <summary>
    /// Softmax of one row into <paramref name="destination"/> (may be the same span): after the maximum, one pass
    /// computes each exp(x - max) and their sum together, then each is divided by the sum. Not
    /// <c>TensorPrimitives.SoftMax</c>, which does not subtract the maximum and returns NaN for large inputs.
    /// </summary>
    public static void Row(ReadOnlySpan<float> x, Span<float> destination)
    {
        if (x.Length <= 16)
        {
            Short(x, destination);
            return;
        }

        float max = TensorPrimitives.Max(x);
        float sum = VectorMath.ExpShiftedAndSum(x, max, destination);
        TensorPrimitives.Divide(destination[..x.Length], sum, destination);
    }

    /// <summary>Rows of up to 16 values (the book's 10 classes) through the same routine the fused GEMM epilogue uses.</summary>
    private static void Short(ReadOnlySpan<float> x, Span<float> destination)
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
