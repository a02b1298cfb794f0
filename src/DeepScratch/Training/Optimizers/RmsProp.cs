using DeepScratch.Layers;

namespace DeepScratch.Training.Optimizers;

/// <summary>
/// The book's <c>RMSprop</c>: AdaGrad with an exponentially decaying average instead of a sum, so old gradients are
/// forgotten and the step never shrinks to nothing:
/// <c>h = decay * h + (1 - decay) * grad²; param -= lr * grad / (sqrt(h) + 1e-7)</c>.
/// Not thread-safe: one optimizer per training loop.
/// </summary>
public sealed unsafe class RmsProp : IOptimizer
{
    private readonly ParameterStates _history = new(1);

    /// <summary>Creates the optimizer; the book's defaults are a learning rate of 0.01 and a decay rate of 0.99.</summary>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="learningRate"/> is not finite and positive, or <paramref name="decayRate"/> is outside [0, 1).
    /// </exception>
    public RmsProp(double learningRate = 0.01, double decayRate = 0.99)
    {
        LearningRate = OptimizerArguments.LearningRate(learningRate, nameof(learningRate));
        DecayRate = OptimizerArguments.Fraction(decayRate, nameof(decayRate), "the fraction of the squared-gradient average kept each step");
    }

    /// <summary>The step size before the per-element scaling (the book's <c>lr</c>).</summary>
    public double LearningRate { get; }

    /// <summary>The fraction of the squared-gradient average kept each step (the book's <c>decay_rate</c>).</summary>
    public double DecayRate { get; }

    /// <summary>The squared-gradient averages per parameter, for tests.</summary>
    internal ParameterStates State => _history;

    /// <inheritdoc/>
    public void Update(IReadOnlyList<Parameter> parameters)
    {
        OptimizerArguments.CheckParameters(parameters);
        float lr = (float)LearningRate;
        float decay = (float)DecayRate;
        float keepNew = (float)(1 - DecayRate);
        for (int i = 0; i < parameters.Count; i++)
        {
            Parameter parameter = parameters[i];
            fixed (float* value = parameter.Value.Span)
            fixed (float* grad = parameter.Grad.Span)
            fixed (float* h = _history.For(parameter)[0].Span)
            {
                var step = new FusedUpdate.Step { Value = value, Grad = grad, State = h, A = lr, B = decay, C = keepNew };
                FusedUpdate.Run(&FusedUpdate.RmsProp, ref step, parameter.Value.Length);
            }
        }
    }
}
