using System.Numerics.Tensors;
using DeepScratch.Layers;

namespace DeepScratch.Training.Optimizers;

/// <summary>
/// The book's <c>AdaGrad</c>: each element's step shrinks with the sum of its squared gradients,
/// <c>h += grad²; param -= lr * grad / (sqrt(h) + 1e-7)</c>, so often-moved weights learn more slowly.
/// Not thread-safe: one optimizer per training loop.
/// </summary>
public sealed class AdaGrad : IOptimizer
{
    private readonly ParameterStates _history = new(1);
    private readonly ScratchBuffer _scratch = new();

    /// <summary>Creates the optimizer; the book's default learning rate is 0.01.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="learningRate"/> is not finite and positive.</exception>
    public AdaGrad(double learningRate = 0.01)
    {
        LearningRate = OptimizerArguments.LearningRate(learningRate, nameof(learningRate));
    }

    /// <summary>The step size before the per-element scaling (the book's <c>lr</c>).</summary>
    public double LearningRate { get; }

    /// <summary>The squared-gradient sums per parameter, for tests.</summary>
    internal ParameterStates State => _history;

    /// <inheritdoc/>
    public void Update(IReadOnlyList<Parameter> parameters)
    {
        _scratch.Reserve(OptimizerArguments.CheckParameters(parameters));
        float lr = (float)LearningRate;
        for (int i = 0; i < parameters.Count; i++)
        {
            Parameter parameter = parameters[i];
            Span<float> h = _history.For(parameter)[0].Span;
            ReadOnlySpan<float> grad = parameter.Grad.Span;
            TensorPrimitives.MultiplyAdd(grad, grad, h, h);
            AdaptiveStep.Apply(parameter.Value.Span, grad, h, lr, _scratch.Get(h.Length));
        }
    }
}
