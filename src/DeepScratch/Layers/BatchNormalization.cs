using System.Numerics.Tensors;
using DeepScratch.Kernels;

namespace DeepScratch.Layers;

/// <summary>
/// Batch Normalization (chapter 6): normalises each feature over the batch to mean 0 and variance 1, then scales by
/// gamma and shifts by beta. Training uses the batch's statistics and updates the running ones, which inference uses.
/// An input (N, C, H, W) is treated as (N, C·H·W), as the book does.
/// </summary>
public sealed class BatchNormalization : ILayer, IReusesBuffers
{
    /// <summary>The book's <c>10e-7</c> (that is 1e-6), added to the variance before the square root.</summary>
    public const double DefaultEpsilon = 10e-7;

    private readonly TensorBuffer _outputBuffer = new();
    private readonly TensorBuffer _dxBuffer = new();
    private int[]? _inputShape;
    private bool _trained;
    private float[] _mean = [], _variance = [], _std = [], _scratch = [];
    private float[]? _xc, _xn;

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
    /// <remarks>
    /// Training runs as a few vectorised passes over the batch into buffers the layer keeps (no allocation once the
    /// batch shape is set), with the book's operations in the book's order, so the results are those of the numpy
    /// expressions evaluated one array at a time, bit for bit.
    /// </remarks>
    /// <exception cref="ArgumentException">x is not a batch of D features per example.</exception>
    public Tensor Forward(Tensor x, bool train)
    {
        ArgumentNullException.ThrowIfNull(x);
        int d = Gamma.Value.Length;
        if (x.Rank < 2 || x.Length != x.Dim(0) * d || x.Dim(0) == 0)
        {
            throw new ArgumentException($"BatchNorm {Gamma.Name} takes a non-empty batch (N, ...) of {d} values per example; got shape {x.ShapeString}.", nameof(x));
        }

        if (_inputShape is null || !x.Shape.SequenceEqual(_inputShape))
        {
            _inputShape = x.Shape.ToArray();
        }

        if (!train)
        {
            var x2 = x.Reshape(x.Dim(0), d);
            var xn = x2.SubtractRowVector(RunningMean).DivideRowVector(Sqrt(RunningVar, Epsilon));
            _trained = false; // a later Backward must not mix this input with an older batch
            var result = xn.MultiplyRowVector(Gamma.Value);
            result.AddRowVectorInPlace(Beta.Value);
            return result.Reshape(_inputShape);
        }

        int n = x.Dim(0);
        EnsureScratch(n, d);
        var output = _outputBuffer.Get(_inputShape, Reuse);
        BatchNormKernels.TrainingForward(x.Span, n, d, (float)Epsilon, Gamma.Value.Span, Beta.Value.Span,
            _mean, _variance, _std, _xc!, _xn!, output.Span);
        UpdateRunning(RunningMean, _mean);
        UpdateRunning(RunningVar, _variance);
        _trained = true;
        return output;
    }

    /// <summary>The book's backward through the normalisation, filling dgamma and dbeta; call after a training Forward.</summary>
    /// <exception cref="InvalidOperationException">No training-mode Forward came before.</exception>
    /// <exception cref="ArgumentException">dout does not have the shape of the last Forward's input.</exception>
    public Tensor Backward(Tensor dout)
    {
        ArgumentNullException.ThrowIfNull(dout);
        if (!_trained || _inputShape is null)
        {
            throw new InvalidOperationException($"BatchNorm {Gamma.Name}: Backward needs a training-mode Forward first.");
        }

        int d = Gamma.Value.Length;
        int n = _inputShape[0];
        if (dout.Length != n * d)
        {
            throw new ArgumentException($"BatchNorm {Gamma.Name}: dout must have {n * d} values, the shape Forward gave ({Tensor.FormatShape(_inputShape)}); got {dout.ShapeString}.", nameof(dout));
        }

        var dx = _dxBuffer.Get(_inputShape, Reuse);
        BatchNormKernels.Backward(dout.Span, n, d, Gamma.Value.Span, _std, _xc!, _xn!, Beta.Grad.Span, Gamma.Grad.Span, _scratch, dx.Span);
        return dx;
    }

    /// <inheritdoc/>
    bool IReusesBuffers.ReuseBuffers { get; set; }

    private bool Reuse => ((IReusesBuffers)this).ReuseBuffers;

    /// <summary>The per-feature and per-batch scratch of a training pass, kept while the batch size stays the same.</summary>
    private void EnsureScratch(int n, int d)
    {
        if (_mean.Length != d)
        {
            (_mean, _variance, _std, _scratch) = (new float[d], new float[d], new float[d], new float[2 * d]);
        }

        if (_xc is null || _xc.Length != n * d)
        {
            (_xc, _xn) = (new float[n * d], new float[n * d]);
        }
    }

    private static Tensor Sqrt(Tensor variance, double epsilon)
    {
        var std = variance + (float)epsilon;
        TensorPrimitives.Sqrt(std.Span, std.Span);
        return std;
    }

    private void UpdateRunning(Tensor running, ReadOnlySpan<float> batch)
    {
        // running = momentum·running + (1 - momentum)·batch, in place so that a saved model sees the current values.
        TensorPrimitives.Multiply(running.Span, (float)Momentum, running.Span);
        TensorPrimitives.MultiplyAdd(batch, (float)(1 - Momentum), running.Span, running.Span);
    }
}
