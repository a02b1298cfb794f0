using System.Numerics.Tensors;
using DeepScratch.Functions;

namespace DeepScratch.Layers;

/// <summary>
/// The output layer of chapter 5 for classification: softmax then the cross-entropy error, whose gradient with respect
/// to the scores is simply (y - t) / N. Labels are one-hot (the scores' shape) or class indices ((N,) or a scalar for
/// one example), stored as floats.
/// </summary>
public sealed class SoftmaxWithLoss : ILossLayer, IReusesBuffers
{
    private readonly TensorBuffer _dxBuffer = new();
    private readonly TensorBuffer _probabilityBuffer = new();
    private Tensor? _t;
    private Labels _labels;
    private Tensor? _probabilities;
    private Tensor? _y;

    /// <inheritdoc/>
    bool IReusesBuffers.ReuseBuffers { get; set; }

    private bool Reuse => ((IReusesBuffers)this).ReuseBuffers;

    /// <summary>The softmax probabilities of the last <see cref="Forward"/> (a new tensor each time: callers may keep it).</summary>
    /// <remarks>
    /// Inside a network's Gradient the probabilities live in a buffer the next batch overwrites; this copy is made
    /// only when asked for, so training loops that never read it allocate nothing.
    /// </remarks>
    public Tensor? Y => _y ??= _probabilities?.Clone();

    /// <summary>The loss of the last <see cref="Forward"/>.</summary>
    public double Loss { get; private set; }

    /// <summary>
    /// y = softmax(x) and the book's cross-entropy error -Σ t·log(y + 1e-7) / N. The loss uses a double-precision
    /// softmax of the same scores, so it is smooth enough for a numerical gradient check of a float32 network.
    /// </summary>
    /// <exception cref="ArgumentException">The labels are neither one-hot of x's shape nor valid class indices.</exception>
    public double Forward(Tensor x, Tensor t)
    {
        _labels = Labels.Of(x, t, "SoftmaxWithLoss", _labels.Indices);
        _t = t;
        if (Reuse)
        {
            var y = _probabilityBuffer.Get(x.Shape, reuse: true);
            int classes = _labels.Classes;
            for (int start = 0; start < x.Length; start += classes)
            {
                Activations.Softmax(x.Span.Slice(start, classes), y.Span.Slice(start, classes));
            }

            (_probabilities, _y) = (y, null);
        }
        else
        {
            _probabilities = _y = Activations.Softmax(x);
        }

        Loss = Losses.SoftmaxCrossEntropy(x, t, _labels);
        return Loss;
    }

    /// <summary>dLoss/dx = (y - t) / N (times <paramref name="dout"/>), for one-hot or index labels alike.</summary>
    public Tensor Backward(double dout = 1)
    {
        var y = _probabilities ?? throw new InvalidOperationException("SoftmaxWithLoss: Backward needs a Forward first.");
        var dx = _dxBuffer.Get(y.Shape, Reuse);
        var d = dx.Span;
        y.Span.CopyTo(d);
        if (_labels.Indices is { } indices)
        {
            for (int i = 0; i < indices.Length; i++)
            {
                d[i * _labels.Classes + indices[i]] -= 1f;
            }
        }
        else
        {
            TensorPrimitives.Subtract(d, _t!.Span, d);
        }

        TensorPrimitives.Multiply(d, (float)(dout / _labels.BatchSize), d);
        return dx;
    }
}
