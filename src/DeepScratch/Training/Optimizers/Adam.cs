using System.Numerics.Tensors;
using DeepScratch.Layers;

namespace DeepScratch.Training.Optimizers;

/// <summary>
/// The book's <c>Adam</c>: momentum (a decaying mean <c>m</c> of the gradient) combined with RMSprop's scaling (a
/// decaying mean <c>v</c> of its square), with the bias correction folded into the step size as the book does:
/// <c>t += 1; lr_t = lr * sqrt(1 - β2^t) / (1 - β1^t); m += (1 - β1)(g - m); v += (1 - β2)(g² - v);
/// param -= lr_t * m / (sqrt(v) + 1e-7)</c>. Not thread-safe: one optimizer per training loop.
/// </summary>
public sealed class Adam : IOptimizer
{
    private readonly ParameterStates _moments = new(2);
    private readonly ScratchBuffer _scratch = new();

    /// <summary>Creates the optimizer; the book's defaults are a learning rate of 0.001, β1 = 0.9 and β2 = 0.999.</summary>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="learningRate"/> is not finite and positive, or a beta is outside [0, 1).
    /// </exception>
    public Adam(double learningRate = 0.001, double beta1 = 0.9, double beta2 = 0.999)
    {
        LearningRate = OptimizerArguments.LearningRate(learningRate, nameof(learningRate));
        Beta1 = OptimizerArguments.Fraction(beta1, nameof(beta1), "the decay of the gradient's running mean");
        Beta2 = OptimizerArguments.Fraction(beta2, nameof(beta2), "the decay of the squared gradient's running mean");
    }

    /// <summary>The step size before bias correction and per-element scaling (the book's <c>lr</c>).</summary>
    public double LearningRate { get; }

    /// <summary>The fraction of the gradient's running mean kept each step (the book's <c>beta1</c>).</summary>
    public double Beta1 { get; }

    /// <summary>The fraction of the squared gradient's running mean kept each step (the book's <c>beta2</c>).</summary>
    public double Beta2 { get; }

    /// <summary>
    /// How many updates have run (the book's <c>iter</c>), one per <see cref="Update"/> call whatever the number of
    /// parameters; it drives the bias correction.
    /// </summary>
    public int Iteration { get; private set; }

    /// <summary>The moments per parameter (slot 0: m, slot 1: v), for tests.</summary>
    internal ParameterStates State => _moments;

    /// <inheritdoc/>
    public void Update(IReadOnlyList<Parameter> parameters)
    {
        _scratch.Reserve(OptimizerArguments.CheckParameters(parameters));
        Iteration = checked(Iteration + 1);
        float lrT = (float)(LearningRate * Math.Sqrt(1.0 - Math.Pow(Beta2, Iteration)) / (1.0 - Math.Pow(Beta1, Iteration)));
        float keepNewMean = (float)(1 - Beta1);
        float keepNewSquare = (float)(1 - Beta2);
        for (int i = 0; i < parameters.Count; i++)
        {
            Parameter parameter = parameters[i];
            Tensor[] moments = _moments.For(parameter);
            Span<float> m = moments[0].Span;
            Span<float> v = moments[1].Span;
            ReadOnlySpan<float> grad = parameter.Grad.Span;
            Span<float> scratch = _scratch.Get(m.Length);
            TensorPrimitives.Subtract(grad, m, scratch);
            TensorPrimitives.MultiplyAdd(scratch, keepNewMean, m, m);
            TensorPrimitives.Multiply(grad, grad, scratch);
            TensorPrimitives.Subtract(scratch, v, scratch);
            TensorPrimitives.MultiplyAdd(scratch, keepNewSquare, v, v);
            AdaptiveStep.Apply(parameter.Value.Span, m, v, lrT, scratch);
        }
    }
}
