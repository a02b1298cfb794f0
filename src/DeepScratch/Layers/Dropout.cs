namespace DeepScratch.Layers;

/// <summary>
/// Dropout (chapter 6): in training each neuron is erased with probability <see cref="Ratio"/> by a fresh random mask;
/// at inference every neuron is kept and scaled by (1 - ratio), exactly as the book does, so that expected outputs match.
/// </summary>
public sealed class Dropout : ILayer, IReusesBuffers
{
    private readonly Random _random;
    private readonly TensorBuffer _outputBuffer = new();
    private readonly TensorBuffer _dxBuffer = new();
    private float[] _maskBuffer = [];
    private int[]? _maskShape;

    /// <summary>A dropout layer drawing its masks from <paramref name="random"/> (seeded by the caller, so runs repeat).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The ratio is outside [0, 1).</exception>
    public Dropout(double ratio, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        Ratio = CheckRatio(ratio);
        _random = random;
    }

    /// <summary>
    /// Returns <paramref name="ratio"/> when it is a valid dropout ratio, in [0, 1): the one check of the range, for
    /// callers that take a ratio before any layer is built (a network, a command line).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The ratio is outside [0, 1) or NaN.</exception>
    public static double CheckRatio(double ratio) => ratio >= 0 && ratio < 1
        ? ratio
        : throw new ArgumentOutOfRangeException(nameof(ratio),
            $"The dropout ratio is the fraction of neurons erased and must be at least 0 and below 1; got {ratio.ToString(System.Globalization.CultureInfo.InvariantCulture)}.");

    /// <summary>The probability that a neuron is erased in training (the book's <c>dropout_ratio</c>).</summary>
    public double Ratio { get; }

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters => [];

    /// <inheritdoc/>
    /// <remarks>Inference keeps every neuron scaled by (1 − ratio), as <see cref="Forward"/> does.</remarks>
    public InferenceStep Inference => new InferenceStep.ScaleShift(new Tensor([(float)(1 - Ratio)], [1]), null);

    /// <inheritdoc/>
    bool IReusesBuffers.ReuseBuffers { get; set; }

    private bool Reuse => ((IReusesBuffers)this).ReuseBuffers;

    /// <summary>Training: x·mask with mask = (rand &gt; ratio); inference: x·(1 - ratio).</summary>
    public Tensor Forward(Tensor x, bool train)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (!train)
        {
            _maskShape = null;
            return x * (float)(1 - Ratio);
        }

        // One pass draws each mask value (in element order, so a seed gives the same masks as ever) and applies it;
        // the mask lives in a buffer of the layer, reused from batch to batch.
        int length = x.Length;
        if (_maskBuffer.Length < length)
        {
            _maskBuffer = new float[length];
        }

        var y = _outputBuffer.Get(x.Shape, Reuse);
        var m = _maskBuffer.AsSpan(0, length);
        var input = x.Span;
        var output = y.Span;
        for (int i = 0; i < m.Length; i++)
        {
            float keep = _random.NextDouble() > Ratio ? 1f : 0f;
            m[i] = keep;
            output[i] = input[i] * keep;
        }

        _maskShape = x.Shape.ToArray();
        return y;
    }

    /// <summary>Passes the gradient through the kept neurons only (dout·mask).</summary>
    /// <exception cref="InvalidOperationException">The last Forward was not in training mode.</exception>
    public Tensor Backward(Tensor dout)
    {
        ArgumentNullException.ThrowIfNull(dout);
        var shape = _maskShape ?? throw new InvalidOperationException("Dropout: Backward needs a training-mode Forward first (inference uses no mask).");
        if (!dout.Shape.SequenceEqual(shape))
        {
            throw new ArgumentException($"Dropout: dout must have the shape Forward gave, {Tensor.FormatShape(shape)}; got {dout.ShapeString}.", nameof(dout));
        }

        var dx = _dxBuffer.Get(shape, Reuse);
        System.Numerics.Tensors.TensorPrimitives.Multiply(dout.Span, _maskBuffer.AsSpan(0, dx.Length), dx.Span);
        return dx;
    }
}
