using DeepScratch.Kernels;

namespace DeepScratch.Functions;

public static partial class Activations
{
    /// <summary>
    /// Softmax over the last axis: a vector, or each row of a batch. It subtracts each row's maximum before
    /// exponentiating, so softmax([1010, 1000, 990]) is finite (the book's overflow countermeasure).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="x"/> is a scalar or its last axis is empty.</exception>
    public static Tensor Softmax(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank == 0 || x.Dim(-1) == 0)
        {
            throw new ArgumentException($"Softmax needs a non-empty last axis; got shape {x.ShapeString}.", nameof(x));
        }

        var y = Tensor.Zeros(x.Shape.ToArray());
        int cols = x.Dim(-1);
        for (int start = 0; start < x.Length; start += cols)
        {
            Softmax(x.Span.Slice(start, cols), y.Span.Slice(start, cols));
        }

        return y;
    }

    /// <summary>
    /// Softmax of one row into <paramref name="destination"/> (may be the same span), the book's
    /// <c>c = np.max(a); exp_a = np.exp(a - c); return exp_a / np.sum(exp_a)</c>: subtract the maximum, exponentiate,
    /// divide by the sum. The vectorised steps live in <c>Kernels/SoftmaxKernel.cs</c>, shared with the fused GEMM
    /// epilogue so both give bit-identical probabilities.
    /// </summary>
    public static void Softmax(ReadOnlySpan<float> x, Span<float> destination) => SoftmaxKernel.Row(x, destination);
}
