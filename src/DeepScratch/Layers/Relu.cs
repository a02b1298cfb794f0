using System.Numerics;
using System.Numerics.Tensors;

namespace DeepScratch.Layers;

/// <summary>The ReLU layer of chapter 5: passes positive inputs, and their gradient, and blocks the rest.</summary>
public sealed unsafe class Relu : ILayer, IReusesBuffers
{
    private readonly TensorBuffer _outputBuffer = new();
    private readonly TensorBuffer _dxBuffer = new();
    private Tensor? _output;

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters => [];

    /// <inheritdoc/>
    public InferenceStep Inference => new InferenceStep.Activate(Kernels.Activation.Relu);

    /// <inheritdoc/>
    bool IReusesBuffers.ReuseBuffers { get; set; }

    private bool Reuse => ((IReusesBuffers)this).ReuseBuffers;

    /// <inheritdoc/>
    public Tensor Forward(Tensor x, bool train)
    {
        ArgumentNullException.ThrowIfNull(x);
        // The output is the mask too: y > 0 exactly where x > 0 (NaN stays NaN, which is not > 0, like the book's x <= 0 mask).
        var y = _outputBuffer.Get(x.Shape, Reuse);
        fixed (float* px = x.Span)
        fixed (float* py = y.Span)
        {
            var state = new Pass { X = px, Y = py };
            ParallelChunks.Run(&ForwardChunk, &state, y.Length);
        }

        _output = y;
        return y;
    }

    /// <inheritdoc/>
    public Tensor Backward(Tensor dout)
    {
        ArgumentNullException.ThrowIfNull(dout);
        var y = _output ?? throw new InvalidOperationException("Relu: Backward needs a Forward first.");
        if (!dout.SameShape(y))
        {
            throw new ArgumentException($"Relu: dout must have the shape Forward gave, {y.ShapeString}; got {dout.ShapeString}.", nameof(dout));
        }

        var dx = _dxBuffer.Get(y.Shape, Reuse);
        fixed (float* pg = dout.Span)
        fixed (float* py = y.Span)
        fixed (float* pd = dx.Span)
        {
            var state = new Pass { X = pg, Y = py, D = pd };
            ParallelChunks.Run(&BackwardChunk, &state, dx.Length);
        }

        return dx;
    }

    /// <summary>y = max(x, 0) for one chunk (TensorPrimitives.Max: NaN in, NaN out).</summary>
    private static void ForwardChunk(void* state, int start, int count)
    {
        var s = (Pass*)state;
        TensorPrimitives.Max(new ReadOnlySpan<float>(s->X + start, count), 0f, new Span<float>(s->Y + start, count));
    }

    /// <summary>
    /// dx = dout · mask with mask = 1 where y &gt; 0 else 0, as a product (so a NaN or ∞ in dout still spreads as the
    /// book's does), for one chunk.
    /// </summary>
    private static void BackwardChunk(void* state, int start, int count)
    {
        var s = (Pass*)state;
        float* g = s->X + start, o = s->Y + start, d = s->D + start;
        int i = 0;
        for (; i <= count - Vector<float>.Count; i += Vector<float>.Count)
        {
            var mask = Vector.ConditionalSelect(Vector.GreaterThan(Vector.Load(o + i), Vector<float>.Zero), Vector<float>.One, Vector<float>.Zero);
            Vector.Store(Vector.Load(g + i) * mask, d + i);
        }

        for (; i < count; i++)
        {
            d[i] = g[i] * (o[i] > 0f ? 1f : 0f);
        }
    }

    private struct Pass
    {
        public float* X;
        public float* Y;
        public float* D;
    }
}
