using DeepScratch.Functions;

namespace DeepScratch.Layers;

/// <summary>
/// The max pooling layer of chapter 7 (the book's <c>Pooling</c>): each channel of x (N, C, H, W) is reduced to the
/// largest value of every pool_h x pool_w window, giving (N, C, out_h, out_w). As in the book it goes through
/// <see cref="ImageColumns.Im2Col"/>, so padding reads as 0 and takes part in the maximum, and Backward routes each
/// output's gradient to the first largest value of its window (numpy's <c>argmax</c>), adding where windows overlap.
/// </summary>
public sealed class Pooling : ILayer
{
    private int[]? _inputShape;
    private int[]? _argmax;

    /// <summary>A max pooling over pool_h x pool_w windows taken every <paramref name="stride"/> pixels.</summary>
    /// <exception cref="ArgumentException">A pool size or the stride is below 1, or the padding is negative.</exception>
    public Pooling(int poolH, int poolW, int stride = 1, int pad = 0)
    {
        if (poolH < 1 || poolW < 1 || stride < 1 || pad < 0)
        {
            throw new ArgumentException($"Pooling needs pool sizes and stride >= 1 and pad >= 0; got pool {poolH}x{poolW}, stride {stride}, pad {pad}.");
        }

        (PoolH, PoolW, Stride, Pad) = (poolH, poolW, stride, pad);
    }

    /// <summary>The window height.</summary>
    public int PoolH { get; }

    /// <summary>The window width.</summary>
    public int PoolW { get; }

    /// <summary>The step between windows, both axes.</summary>
    public int Stride { get; }

    /// <summary>The zeros added on each side of the images, both axes.</summary>
    public int Pad { get; }

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters => [];

    /// <inheritdoc/>
    public InferenceStep Inference => new InferenceStep.MaxPool(PoolH, PoolW, Stride, Pad);

    /// <inheritdoc/>
    /// <returns>(N, C, out_h, out_w) with out_h = (H + 2·pad − pool_h) / stride + 1, likewise out_w.</returns>
    /// <exception cref="ArgumentException">x is not (N, C, H, W) or the window does not fit the padded images.</exception>
    public Tensor Forward(Tensor x, bool train)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 4)
        {
            throw new ArgumentException($"Pooling takes images (N, C, H, W); got shape {x.ShapeString}.", nameof(x));
        }

        int n = x.Dim(0), c = x.Dim(1);
        int outH = ImageColumns.OutputSize(x.Dim(2), PoolH, Stride, Pad);
        int outW = ImageColumns.OutputSize(x.Dim(3), PoolW, Stride, Pad);
        // col rows are (n, y, x), each holding C windows of pool_h*pool_w: the book's reshape(-1, pool_h*pool_w).
        var col = ImageColumns.Im2Col(x, PoolH, PoolW, Stride, Pad).Span;
        int window = PoolH * PoolW;
        int positions = outH * outW;
        var argmax = new int[n * positions * c];
        var output = Tensor.Zeros(n, c, outH, outW);
        var o = output.Span;
        for (int w = 0; w < argmax.Length; w++)
        {
            var values = col.Slice(w * window, window);
            int best = 0;
            for (int k = 1; k < window; k++)
            {
                if (values[k] > values[best])
                {
                    best = k;
                }
            }

            argmax[w] = best;
            // Window w is (image, position, channel); the output is (image, channel, position).
            int image = w / (positions * c), position = w / c % positions, channel = w % c;
            o[(image * c + channel) * positions + position] = values[best];
        }

        _inputShape = x.Shape.ToArray();
        _argmax = argmax;
        return output;
    }

    /// <inheritdoc/>
    /// <param name="dout">dLoss/dy (N, C, out_h, out_w).</param>
    /// <returns>dLoss/dx (N, C, H, W): each window's gradient at its largest input, summed over overlapping windows.</returns>
    public Tensor Backward(Tensor dout)
    {
        ArgumentNullException.ThrowIfNull(dout);
        var argmax = _argmax ?? throw new InvalidOperationException("Pooling: Backward needs a Forward first.");
        var shape = _inputShape!;
        if (dout.Rank != 4 || dout.Dim(0) != shape[0] || dout.Dim(1) != shape[1] || dout.Length != argmax.Length)
        {
            throw new ArgumentException($"Pooling: dout must have the shape Forward gave, {argmax.Length} values in (N, C, out_h, out_w); got {dout.ShapeString}.", nameof(dout));
        }

        int c = shape[1];
        int positions = dout.Dim(2) * dout.Dim(3);
        int window = PoolH * PoolW;
        var dcol = Tensor.Zeros(argmax.Length / c, c * window);
        var d = dcol.Span;
        var g = dout.Span;
        for (int w = 0; w < argmax.Length; w++)
        {
            int image = w / (positions * c), position = w / c % positions, channel = w % c;
            d[w * window + argmax[w]] = g[(image * c + channel) * positions + position];
        }

        return ImageColumns.Col2Im(dcol, shape, PoolH, PoolW, Stride, Pad);
    }
}
