using System.Numerics;
using DeepScratch.Functions;

namespace DeepScratch.Layers;

/// <summary>The ReLU layer of chapter 5: passes positive inputs, and their gradient, and blocks the rest.</summary>
public sealed class Relu : ILayer
{
    private Tensor? _output;

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters => [];

    /// <inheritdoc/>
    public InferenceStep Inference => new InferenceStep.Activate(Kernels.Activation.Relu);

    /// <inheritdoc/>
    public Tensor Forward(Tensor x, bool train)
    {
        // The output is the mask too: y > 0 exactly where x > 0 (NaN stays NaN, which is not > 0, like the book's x <= 0 mask).
        var y = Activations.Relu(x);
        _output = y;
        return y;
    }

    /// <inheritdoc/>
    public Tensor Backward(Tensor dout)
    {
        ArgumentNullException.ThrowIfNull(dout);
        var y = _output ?? throw new InvalidOperationException("Relu: Backward needs a Forward first.");
        if (!dout.SameShape(y))
        {
            throw new ArgumentException($"Relu: dout must have the shape Forward gave, {y.ShapeString}; got {dout.ShapeString}.", nameof(dout));
        }

        // dout · mask with mask = 1 where y > 0 else 0, as a product (so a NaN or ∞ in dout still spreads as the book's does).
        var dx = Tensor.Zeros(y.Shape.ToArray());
        var g = dout.Span;
        var o = y.Span;
        var d = dx.Span;
        int i = 0;
        for (; i <= d.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var mask = Vector.ConditionalSelect(Vector.GreaterThan(new Vector<float>(o[i..]), Vector<float>.Zero), Vector<float>.One, Vector<float>.Zero);
            (new Vector<float>(g[i..]) * mask).CopyTo(d[i..]);
        }

        for (; i < d.Length; i++)
        {
            d[i] = g[i] * (o[i] > 0f ? 1f : 0f);
        }

        return dx;
    }
}
