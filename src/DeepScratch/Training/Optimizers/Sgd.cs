using System.Numerics.Tensors;
using DeepScratch.Layers;

namespace DeepScratch.Training.Optimizers;

/// <summary>
/// Stochastic gradient descent, the book's <c>SGD</c>: <c>param -= lr * grad</c>. Stateless, so it is the
/// baseline the other chapter 6 optimizers are compared with.
/// </summary>
public sealed class Sgd : IOptimizer
{
    /// <summary>Creates the optimizer; the book's default learning rate is 0.01.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="learningRate"/> is not finite and positive.</exception>
    public Sgd(double learningRate = 0.01)
    {
        LearningRate = OptimizerArguments.LearningRate(learningRate, nameof(learningRate));
    }

    /// <summary>The step size (the book's <c>lr</c>), fixed for the optimizer's lifetime.</summary>
    public double LearningRate { get; }

    /// <inheritdoc/>
    public void Update(IReadOnlyList<Parameter> parameters)
    {
        OptimizerArguments.CheckParameters(parameters);
        float lr = (float)LearningRate;
        for (int i = 0; i < parameters.Count; i++)
        {
            Span<float> value = parameters[i].Value.Span;
            TensorPrimitives.MultiplyAdd(parameters[i].Grad.Span, -lr, value, value);
        }
    }
}
