using DeepScratch.Kernels;
using DeepScratch.Tensors;

namespace DeepScratch.Functions;

public static partial class Activations
{
    /// <summary>The sigmoid 1 / (1 + exp(-x)), element-wise: the hidden layers' activation in chapter 3.</summary>
    public static Tensor Sigmoid(Tensor x) => Apply(x, Sigmoid);

    /// <summary>
    /// Sigmoid of a span into a span (may be the same span), for callers that own their buffers. It is the same
    /// vectorised function the fused GEMM epilogue applies, so both paths give bit-identical results.
    /// </summary>
    public static void Sigmoid(ReadOnlySpan<float> x, Span<float> destination) => VectorMath.Sigmoid(x, destination);
}
