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
    private Tensor? _t;

    /// <inheritdoc/>
    bool IReusesBuffers.ReuseBuffers { get; set; }

    /// <summary>The output of the last <see cref="Forward"/>: the scores themselves.</summary>
    public Tensor? Y { get; private set; }

    /// <summary>The loss of the last <see cref="Forward"/>.</summary>
    public double Loss { get; private set; }

    /// <summary>Returns <c>SumSquaredError(x, t) / N</c>, N the size of x's first axis (1 for a single example (D,)).</summary>
    /// <exception cref="ArgumentException">t does not have x's shape.</exception>
    public double Forward(Tensor x, Tensor t)
    {
        ArgumentNullException.ThrowIfNull(x);
        // Inside Gradient x is the last layer's reused buffer: Y, which callers may keep, gets its own copy then.
        Y = ((IReusesBuffers)this).ReuseBuffers ? x.Clone() : x;
        _t = t;
        Loss = Losses.SumSquaredError(x, t) / BatchSize(x);
        return Loss;
    }

    /// <summary>dLoss/dx = (y - t) / N, times <paramref name="dout"/>.</summary>
    public Tensor Backward(double dout = 1)
    {
        var y = Y ?? throw new InvalidOperationException("IdentityWithLoss: Backward needs a Forward first.");
        var dx = y - _t!;
        TensorPrimitives.Multiply(dx.Span, (float)(dout / BatchSize(y)), dx.Span);
        return dx;
    }

    private static int BatchSize(Tensor y) => y.Rank >= 2 ? Math.Max(1, y.Dim(0)) : 1;
}
