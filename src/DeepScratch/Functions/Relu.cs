using System.Numerics.Tensors;
using DeepScratch.Tensors;

namespace DeepScratch.Functions;

public static partial class Activations
{
    /// <summary>ReLU: max(0, x), element-wise.</summary>
    public static Tensor Relu(Tensor x) => Apply(x, Relu);

    /// <summary>ReLU of a span into a span (may be the same span).</summary>
    public static void Relu(ReadOnlySpan<float> x, Span<float> destination) => TensorPrimitives.Max(x, 0f, destination);
}
