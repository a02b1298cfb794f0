namespace DeepScratch.Functions;

/// <summary>
/// The activation functions of the book's chapters 2-3, one per file (Step.cs, Sigmoid.cs, Relu.cs, Softmax.cs,
/// Identity.cs). This file holds only what they share.
/// </summary>
public static partial class Activations
{
    /// <summary>Runs a span kernel into a new tensor of the same shape.</summary>
    private static Tensor Apply(Tensor x, SpanKernel kernel)
    {
        ArgumentNullException.ThrowIfNull(x);
        var y = Tensor.Zeros(x.Shape.ToArray());
        kernel(x.Span, y.Span);
        return y;
    }

    private delegate void SpanKernel(ReadOnlySpan<float> source, Span<float> destination);
}
