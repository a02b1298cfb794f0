using System.Numerics.Tensors;
using DeepScratch.Functions;

namespace DeepScratch.Layers;

/// <summary>The sigmoid layer of chapter 5: its derivative is out·(1 - out), so it keeps only its output.</summary>
public sealed class Sigmoid : ILayer, IReusesBuffers
{
    private readonly TensorBuffer _outputBuffer = new();
    private readonly TensorBuffer _dxBuffer = new();
    private Tensor? _out;

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters => [];

    /// <inheritdoc/>
    public InferenceStep Inference => new InferenceStep.Activate(Kernels.Activation.Sigmoid);

    /// <inheritdoc/>
    bool IReusesBuffers.ReuseBuffers { get; set; }

    private bool Reuse => ((IReusesBuffers)this).ReuseBuffers;

    /// <inheritdoc/>
    public Tensor Forward(Tensor x, bool train)
    {
        ArgumentNullException.ThrowIfNull(x);
        var y = _outputBuffer.Get(x.Shape, Reuse);
        Activations.Sigmoid(x.Span, y.Span);
        _out = y;
        return y;
    }

    /// <inheritdoc/>
    public Tensor Backward(Tensor dout)
    {
        ArgumentNullException.ThrowIfNull(dout);
        var y = _out ?? throw new InvalidOperationException("Sigmoid: Backward needs a Forward first.");
        if (!dout.SameShape(y))
        {
            throw new ArgumentException($"Sigmoid: dout must have the shape Forward gave, {y.ShapeString}; got {dout.ShapeString}.", nameof(dout));
        }

        var dx = _dxBuffer.Get(y.Shape, Reuse);
        TensorPrimitives.Subtract(1f, y.Span, dx.Span);   // 1 - out
        TensorPrimitives.Multiply(dx.Span, y.Span, dx.Span); // (1 - out)·out
        TensorPrimitives.Multiply(dx.Span, dout.Span, dx.Span); // ·dout
        return dx;
    }
}
