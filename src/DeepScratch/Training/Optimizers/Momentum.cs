using DeepScratch.Layers;

namespace DeepScratch.Training.Optimizers;

/// <summary>
/// The book's <c>Momentum</c>: a velocity per parameter that keeps a fraction of its previous value,
/// <c>v = momentum * v - lr * grad; param += v</c>, which damps the zig-zag of plain SGD along steep directions.
/// Not thread-safe: one optimizer per training loop.
/// </summary>
public sealed unsafe class Momentum : IOptimizer
{
    private readonly ParameterStates _velocity = new(1);

    /// <summary>Creates the optimizer; the book's defaults are a learning rate of 0.01 and momentum 0.9.</summary>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="learningRate"/> is not finite and positive, or <paramref name="momentum"/> is outside [0, 1).
    /// </exception>
    public Momentum(double learningRate = 0.01, double momentum = 0.9)
    {
        LearningRate = OptimizerArguments.LearningRate(learningRate, nameof(learningRate));
        MomentumCoefficient = OptimizerArguments.Fraction(momentum, nameof(momentum), "the fraction of the velocity kept each step");
    }

    /// <summary>The step size (the book's <c>lr</c>).</summary>
    public double LearningRate { get; }

    /// <summary>The fraction of the velocity kept each step (the book's <c>momentum</c>, α).</summary>
    public double MomentumCoefficient { get; }

    /// <summary>The velocity per parameter, for tests.</summary>
    internal ParameterStates State => _velocity;

    /// <inheritdoc/>
    public void Update(IReadOnlyList<Parameter> parameters)
    {
        OptimizerArguments.CheckParameters(parameters);
        float lr = (float)LearningRate;
        float momentum = (float)MomentumCoefficient;
        for (int i = 0; i < parameters.Count; i++)
        {
            Parameter parameter = parameters[i];
            fixed (float* value = parameter.Value.Span)
            fixed (float* grad = parameter.Grad.Span)
            fixed (float* v = _velocity.For(parameter)[0].Span)
            {
                var step = new FusedUpdate.Step { Value = value, Grad = grad, State = v, A = lr, B = momentum };
                FusedUpdate.Run(&FusedUpdate.Momentum, ref step, parameter.Value.Length);
            }
        }
    }
}
