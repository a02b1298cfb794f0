using System.Numerics;
using DeepScratch.Layers;

namespace DeepScratch.Training.Optimizers;

/// <summary>
/// The book's <c>Adam</c>: momentum (a decaying mean <c>m</c> of the gradient) combined with RMSprop's scaling (a
/// decaying mean <c>v</c> of its square), with the bias correction folded into the step size as the book does:
/// <c>t += 1; lr_t = lr * sqrt(1 - β2^t) / (1 - β1^t); m += (1 - β1)(g - m); v += (1 - β2)(g² - v);
/// param -= lr_t * m / (sqrt(v) + 1e-7)</c>. Not thread-safe: one optimizer per training loop.
/// </summary>
public sealed unsafe class Adam : IOptimizer
{
    private readonly ParameterStates _moments = new(2);

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
        OptimizerArguments.CheckParameters(parameters);
        Iteration = checked(Iteration + 1);
        float lrT = (float)(LearningRate * Math.Sqrt(1.0 - Math.Pow(Beta2, Iteration)) / (1.0 - Math.Pow(Beta1, Iteration)));
        float keepNewMean = (float)(1 - Beta1);
        float keepNewSquare = (float)(1 - Beta2);
        for (int i = 0; i < parameters.Count; i++)
        {
            Parameter parameter = parameters[i];
            Tensor[] moments = _moments.For(parameter);
            fixed (float* value = parameter.Value.Span)
            fixed (float* grad = parameter.Grad.Span)
            fixed (float* m = moments[0].Span)
            fixed (float* v = moments[1].Span)
            {
                var step = new Step { Value = value, Grad = grad, M = m, V = v, LrT = lrT, KeepNewMean = keepNewMean, KeepNewSquare = keepNewSquare };
                Layers.ParallelChunks.Run(&Apply, &step, parameter.Value.Length);
            }
        }
    }

    /// <summary>
    /// One fused pass over a chunk: m += (1 − β1)(g − m); v += (1 − β2)(g² − v); param −= lr_t·m / (√v + 1e-7), each
    /// operation rounded in float as separate multiply and add (no FMA contraction), element by element.
    /// </summary>
    private static void Apply(void* state, int start, int count)
    {
        var s = (Step*)state;
        float* value = s->Value + start, grad = s->Grad + start, m = s->M + start, v = s->V + start;
        float k1 = s->KeepNewMean, k2 = s->KeepNewSquare, lr = s->LrT;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vk1 = new Vector<float>(k1);
            var vk2 = new Vector<float>(k2);
            var vlr = new Vector<float>(-lr);
            var eps = new Vector<float>(AdaptiveStep.Epsilon);
            for (; i <= count - Vector<float>.Count; i += Vector<float>.Count)
            {
                var g = Vector.Load(grad + i);
                var mi = Vector.Load(m + i);
                var vi = Vector.Load(v + i);
                mi = (g - mi) * vk1 + mi;
                vi = ((g * g) - vi) * vk2 + vi;
                Vector.Store(mi, m + i);
                Vector.Store(vi, v + i);
                Vector.Store(mi / (Vector.SquareRoot(vi) + eps) * vlr + Vector.Load(value + i), value + i);
            }
        }

        for (; i < count; i++)
        {
            float g = grad[i];
            float mi = (g - m[i]) * k1 + m[i];
            float vi = ((g * g) - v[i]) * k2 + v[i];
            m[i] = mi;
            v[i] = vi;
            value[i] = mi / (MathF.Sqrt(vi) + AdaptiveStep.Epsilon) * -lr + value[i];
        }
    }

    private struct Step
    {
        public float* Value;
        public float* Grad;
        public float* M;
        public float* V;
        public float LrT;
        public float KeepNewMean;
        public float KeepNewSquare;
    }
}
