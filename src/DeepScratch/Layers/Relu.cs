using DeepScratch.Functions;

namespace DeepScratch.Layers;

/// <summary>The ReLU layer of chapter 5: passes positive inputs, and their gradient, and blocks the rest.</summary>
public sealed class Relu : ILayer
{
    private Tensor? _mask;

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters => [];

    /// <inheritdoc/>
    public InferenceStep Inference => new InferenceStep.Activate(Kernels.Activation.Relu);

    /// <inheritdoc/>
    public Tensor Forward(Tensor x, bool train)
    {
        _mask = Activations.Step(x); // 1 where x > 0, else 0
        return Activations.Relu(x);
    }

    /// <inheritdoc/>
    public Tensor Backward(Tensor dout)
    {
        var mask = _mask ?? throw new InvalidOperationException("Relu: Backward needs a Forward first.");
        return dout * mask;
    }
}
