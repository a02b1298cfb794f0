using System.Numerics.Tensors;
using DeepScratch.Functions;

namespace DeepScratch.Layers;

/// <summary>The sigmoid layer of chapter 5: its derivative is out·(1 - out), so it keeps only its output.</summary>
public sealed class Sigmoid : ILayer
{
    private Tensor? _out;

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters => [];

    /// <inheritdoc/>
    public InferenceStep Inference => new InferenceStep.Activate(Kernels.Activation.Sigmoid);

    /// <inheritdoc/>
    public Tensor Forward(Tensor x, bool train)
    {
        _out = Activations.Sigmoid(x);
        return _out;
    }

    /// <inheritdoc/>
    public Tensor Backward(Tensor dout)
    {
        ArgumentNullException.ThrowIfNull(dout);
        var y = _out ?? throw new InvalidOperationException("Sigmoid: Backward needs a Forward first.");
        var dx = Tensor.Zeros(y.Shape.ToArray());
        TensorPrimitives.Subtract(1f, y.Span, dx.Span);   // 1 - out
        TensorPrimitives.Multiply(dx.Span, y.Span, dx.Span); // (1 - out)·out
        return dx * dout;
    }
}
