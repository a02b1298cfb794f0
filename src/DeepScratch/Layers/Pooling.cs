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

        int n = x.Dim(0), c = x.Dim(1), h = x.Dim(2), width = x.Dim(3);
        int outH = ImageColumns.OutputSize(h, PoolH, Stride, Pad);
        int outW = ImageColumns.OutputSize(width, PoolW, Stride, Pad);
        // Straight on (N, C, H, W), no im2col copy: the same windows in the same cell order (ky, kx) with the first
        // maximum kept and padding read as 0, as the book's im2col + argmax does. argmax holds the input index of the
        // maximum, or -1 when a padding 0 won (its gradient is dropped, as col2im drops the padding).
        var argmax = new int[n * c * outH * outW];
        var output = Tensor.Zeros(n, c, outH, outW);
        var input = x.Span;
        var o = output.Span;
        int planeIn = h * width, planeOut = outH * outW;
        if (Pad == 0)
        {
            // Without padding every window lies inside the image (OutputSize checked that): no bounds tests.
            MaxInside(input, o, argmax, n * c, h, width, outH, outW);
            _inputShape = x.Shape.ToArray();
            _argmax = argmax;
            return output;
        }

        for (int plane = 0; plane < n * c; plane++)
        {
            int inBase = plane * planeIn;
            for (int oy = 0; oy < outH; oy++)
            {
                for (int ox = 0; ox < outW; ox++)
                {
                    float best = 0;
                    int bestIndex = -1;
                    bool first = true;
                    for (int ky = 0; ky < PoolH; ky++)
                    {
                        int y = oy * Stride - Pad + ky;
                        for (int kx = 0; kx < PoolW; kx++)
                        {
                            int xx = ox * Stride - Pad + kx;
                            bool inside = y >= 0 && y < h && xx >= 0 && xx < width;
                            float value = inside ? input[inBase + y * width + xx] : 0f;
                            if (first || value > best)
                            {
                                best = value;
                                bestIndex = inside ? inBase + y * width + xx : -1;
                                first = false;
                            }
                        }
                    }

                    int at = plane * planeOut + oy * outW + ox;
                    o[at] = best;
                    argmax[at] = bestIndex;
                }
            }
        }

        _inputShape = x.Shape.ToArray();
        _argmax = argmax;
        return output;
    }

    /// <summary>Max pooling when every window is inside the image (no padding); same cell order and first-maximum rule.</summary>
    private void MaxInside(ReadOnlySpan<float> input, Span<float> output, int[] argmax, int planes, int h, int width, int outH, int outW)
    {
        int planeIn = h * width, planeOut = outH * outW;
        for (int plane = 0; plane < planes; plane++)
        {
            int inBase = plane * planeIn;
            for (int oy = 0; oy < outH; oy++)
            {
                int rowOut = plane * planeOut + oy * outW;
                for (int ox = 0; ox < outW; ox++)
                {
                    int start = inBase + oy * Stride * width + ox * Stride;
                    int bestIndex = start;
                    float best = input[start];
                    for (int ky = 0; ky < PoolH; ky++)
                    {
                        int line = start + ky * width;
                        for (int kx = ky == 0 ? 1 : 0; kx < PoolW; kx++)
                        {
                            if (input[line + kx] > best)
                            {
                                best = input[line + kx];
                                bestIndex = line + kx;
                            }
                        }
                    }

                    output[rowOut + ox] = best;
                    argmax[rowOut + ox] = bestIndex;
                }
            }
        }
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

        var dx = Tensor.Zeros(shape);
        var d = dx.Span;
        var g = dout.Span;
        for (int i = 0; i < argmax.Length; i++)
        {
            if (argmax[i] >= 0)
            {
                d[argmax[i]] += g[i];
            }
        }

        return dx;
    }
}
