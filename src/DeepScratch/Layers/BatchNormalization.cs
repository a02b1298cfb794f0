using System.Numerics.Tensors;

namespace DeepScratch.Layers;

/// <summary>
/// Batch Normalization (chapter 6): normalises each feature over the batch to mean 0 and variance 1, then scales by
/// gamma and shifts by beta. Training uses the batch's statistics and updates the running ones, which inference uses.
/// An input (N, C, H, W) is treated as (N, C·H·W), as the book does.
/// </summary>
public sealed class BatchNormalization : ILayer
{
    /// <summary>The book's <c>10e-7</c> (that is 1e-6), added to the variance before the square root.</summary>
    public const double DefaultEpsilon = 10e-7;

    private int[]? _inputShape;
    private Tensor? _xc;
    private Tensor? _xn;
    private Tensor? _std;

    /// <summary>Wraps gamma and beta (D,) named by the owner (gamma1, beta1, ...); the running statistics start at 0 as in the book.</summary>
    /// <exception cref="ArgumentException">gamma and beta are not vectors of one length.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The momentum is outside [0, 1] or epsilon is not positive.</exception>
    public BatchNormalization(Parameter gamma, Parameter beta, double momentum = 0.9, double epsilon = DefaultEpsilon)
    {
        ArgumentNullException.ThrowIfNull(gamma);
        ArgumentNullException.ThrowIfNull(beta);
        if (gamma.Value.Rank != 1 || !beta.Value.SameShape(gamma.Value))
        {
            throw new ArgumentException(
                $"BatchNorm {gamma.Name} and {beta.Name} must be vectors of one length; got {gamma.Value.ShapeString} and {beta.Value.ShapeString}.");
        }

        if (!(momentum >= 0 && momentum <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(momentum), $"The momentum of the running statistics must be in [0, 1]; got {momentum}.");
        }

        if (!(epsilon > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), $"Epsilon must be positive; got {epsilon}.");
        }

        (Gamma, Beta, Momentum, Epsilon) = (gamma, beta, momentum, epsilon);
        Parameters = [gamma, beta];
        RunningMean = Tensor.Zeros(gamma.Value.Length);
        RunningVar = Tensor.Zeros(gamma.Value.Length);
    }

    /// <summary>The learned scale (D,).</summary>
    public Parameter Gamma { get; }

    /// <summary>The learned shift (D,).</summary>
    public Parameter Beta { get; }

    /// <summary>How much of the running statistics each training batch keeps (the book's 0.9).</summary>
    public double Momentum { get; }

    /// <summary>Added to the variance so that a constant feature does not divide by zero.</summary>
    public double Epsilon { get; }

    /// <summary>The running mean of each feature, updated in place by training batches, used at inference (a model file saves it).</summary>
    public Tensor RunningMean { get; }

    /// <summary>The running variance of each feature, updated in place by training batches, used at inference (a model file saves it).</summary>
    public Tensor RunningVar { get; }

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <inheritdoc/>
    public IReadOnlyList<Tensor> Variances => [RunningVar];

    /// <inheritdoc/>
    /// <remarks>
    /// The inference forward as one scale-shift per feature: scale = γ/√(var+ε), shift = β − μ·scale (computed in
    /// double from the current running statistics), which the engine folds into the preceding layer's weights.
    /// </remarks>
    public InferenceStep Inference
    {
        get
        {
            int d = Gamma.Value.Length;
            var scale = new float[d];
            var shift = new float[d];
            var g = Gamma.Value.Span;
            var b = Beta.Value.Span;
            var mu = RunningMean.Span;
            var v = RunningVar.Span;
            for (int i = 0; i < d; i++)
            {
                double s = g[i] / Math.Sqrt(v[i] + Epsilon);
                scale[i] = (float)s;
                shift[i] = (float)(b[i] - mu[i] * s);
            }

            return new InferenceStep.ScaleShift(new Tensor(scale, [d]), new Tensor(shift, [d]));
        }
    }

    /// <summary>
    /// Training: xn = (x - mu) / sqrt(var + eps) with the batch's mean and variance, which also move the running
    /// statistics; inference: the same with the running statistics. Returns gamma·xn + beta in x's shape.
    /// </summary>
    /// <exception cref="ArgumentException">x is not a batch of D features per example.</exception>
    public Tensor Forward(Tensor x, bool train)
    {
        ArgumentNullException.ThrowIfNull(x);
        int d = Gamma.Value.Length;
        if (x.Rank < 2 || x.Length != x.Dim(0) * d || x.Dim(0) == 0)
        {
            throw new ArgumentException($"BatchNorm {Gamma.Name} takes a non-empty batch (N, ...) of {d} values per example; got shape {x.ShapeString}.", nameof(x));
        }

        _inputShape = x.Shape.ToArray();
        var x2 = x.Reshape(x.Dim(0), d);
        Tensor xn;
        if (train)
        {
            var mu = x2.MeanAxis0();
            var xc = x2.SubtractRowVector(mu);
            var variance = (xc * xc).MeanAxis0();
            var std = Sqrt(variance, Epsilon);
            xn = xc.DivideRowVector(std);
            (_xc, _xn, _std) = (xc, xn, std);
            UpdateRunning(RunningMean, mu);
            UpdateRunning(RunningVar, variance);
        }
        else
        {
            xn = x2.SubtractRowVector(RunningMean).DivideRowVector(Sqrt(RunningVar, Epsilon));
            (_xc, _xn, _std) = (null, null, null); // a later Backward must not mix this input with an older batch
        }

        var output = xn.MultiplyRowVector(Gamma.Value);
        output.AddRowVectorInPlace(Beta.Value);
        return output.Reshape(_inputShape);
    }

    /// <summary>The book's backward through the normalisation, filling dgamma and dbeta; call after a training Forward.</summary>
    /// <exception cref="InvalidOperationException">No training-mode Forward came before.</exception>
    public Tensor Backward(Tensor dout)
    {
        ArgumentNullException.ThrowIfNull(dout);
        if (_xc is not { } xc || _xn is not { } xn || _std is not { } std)
        {
            throw new InvalidOperationException($"BatchNorm {Gamma.Name}: Backward needs a training-mode Forward first.");
        }

        int n = xc.Dim(0);
        dout = dout.Reshape(xc.Shape.ToArray());
        dout.SumAxis0(Beta.Grad);                                   // dbeta = Σ dout
        (xn * dout).SumAxis0(Gamma.Grad);                           // dgamma = Σ xn·dout
        var dxn = dout.MultiplyRowVector(Gamma.Value);
        var dxc = dxn.DivideRowVector(std);
        var dstd = -(dxn * xc).DivideRowVector(std * std).SumAxis0();
        var dvar = dstd * 0.5f / std;
        var dxcFromVar = xc.MultiplyRowVector(dvar) * (2f / n);
        dxc = dxc + dxcFromVar;
        var dmu = dxc.SumAxis0();
        var dx = dxc.SubtractRowVector(dmu / n);
        return dx.Reshape(_inputShape!);
    }

    private static Tensor Sqrt(Tensor variance, double epsilon)
    {
        var std = variance + (float)epsilon;
        TensorPrimitives.Sqrt(std.Span, std.Span);
        return std;
    }

    private void UpdateRunning(Tensor running, Tensor batch)
    {
        // running = momentum·running + (1 - momentum)·batch, in place so that a saved model sees the current values.
        TensorPrimitives.Multiply(running.Span, (float)Momentum, running.Span);
        TensorPrimitives.MultiplyAdd(batch.Span, (float)(1 - Momentum), running.Span, running.Span);
    }
}
