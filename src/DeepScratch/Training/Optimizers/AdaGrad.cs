using DeepScratch.Layers;

namespace DeepScratch.Training.Optimizers;

/// <summary>
/// The book's <c>AdaGrad</c>: each element's step shrinks with the sum of its squared gradients,
/// <c>h += grad²; param -= lr * grad / (sqrt(h) + 1e-7)</c>, so often-moved weights learn more slowly.
/// Not thread-safe: one optimizer per training loop.
/// </summary>
public sealed unsafe class AdaGrad : IOptimizer
{
    private readonly ParameterStates _history = new(1);

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
        OptimizerArguments.CheckParameters(parameters);
        float lr = (float)LearningRate;
        for (int i = 0; i < parameters.Count; i++)
        {
            Parameter parameter = parameters[i];
            fixed (float* value = parameter.Value.Span)
            fixed (float* grad = parameter.Grad.Span)
            fixed (float* h = _history.For(parameter)[0].Span)
            {
                var step = new FusedUpdate.Step { Value = value, Grad = grad, State = h, A = lr };
                FusedUpdate.Run(&FusedUpdate.AdaGrad, ref step, parameter.Value.Length);
            }
        }
    }
}
