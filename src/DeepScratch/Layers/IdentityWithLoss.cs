using System.Numerics.Tensors;
using DeepScratch.Functions;

namespace DeepScratch.Layers;

/// <summary>
/// The output layer for regression: the identity, with the book's sum of squared errors divided by the batch size N
/// (as the cross-entropy error is), i.e. the mean over examples of 0.5·Σ(y - t)². Backward's (y - t) / N is exactly
/// the gradient of that loss; for one example (N = 1) it is the book's SSE and (y - t).
/// </summary>
public sealed class IdentityWithLoss : ILossLayer, IReusesBuffers
{
    private readonly TensorBuffer _dxBuffer = new();
    private Tensor? _t;
    private Tensor? _scores;
    private Tensor? _y;

    /// <inheritdoc/>
    bool IReusesBuffers.ReuseBuffers { get; set; }

    private bool Reuse => ((IReusesBuffers)this).ReuseBuffers;

    /// <summary>The output of the last <see cref="Forward"/>: the scores themselves.</summary>
    /// <remarks>
    /// Inside a network's Gradient the scores are the previous layer's reused buffer, which the next batch
    /// overwrites: callers may keep Y, so it is then a copy, made only when asked for (a training loop allocates nothing).
    /// </remarks>
    public Tensor? Y => _y ??= _scores?.Clone();

    /// <summary>The loss of the last <see cref="Forward"/>.</summary>
    public double Loss { get; private set; }

    /// <summary>Returns <c>SumSquaredError(x, t) / N</c>, N the size of x's first axis (1 for a single example (D,)).</summary>
    /// <exception cref="ArgumentException">t does not have x's shape.</exception>
    public double Forward(Tensor x, Tensor t)
    {
        ArgumentNullException.ThrowIfNull(x);
        (_scores, _y) = (x, Reuse ? null : x);
        _t = t;
        Loss = Losses.SumSquaredError(x, t) / BatchSize(x);
        return Loss;
    }

    /// <summary>dLoss/dx = (y - t) / N, times <paramref name="dout"/>.</summary>
    public Tensor Backward(double dout = 1)
    {
        var y = _scores ?? throw new InvalidOperationException("IdentityWithLoss: Backward needs a Forward first.");
        if (!y.SameShape(_t!))
        {
            throw new ArgumentException($"IdentityWithLoss: t {_t!.ShapeString} does not have the scores' shape {y.ShapeString}.");
        }

        var dx = _dxBuffer.Get(y.Shape, Reuse);
        TensorPrimitives.Subtract(y.Span, _t!.Span, dx.Span);
        TensorPrimitives.Multiply(dx.Span, (float)(dout / BatchSize(y)), dx.Span);
        return dx;
    }

    private static int BatchSize(Tensor y) => y.Rank >= 2 ? Math.Max(1, y.Dim(0)) : 1;
}
