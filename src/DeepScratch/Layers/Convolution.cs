using DeepScratch.Functions;
using DeepScratch.Kernels;

namespace DeepScratch.Layers;

/// <summary>
/// The convolution layer of chapter 7 (the book's <c>Convolution</c>): filters W (FN, C, FH, FW) slide over images
/// x (N, C, H, W) with a stride and zero padding, giving (N, FN, out_h, out_w) plus one bias per filter. The book's
/// im2col product, image by image and transposed: for each image, col_nᵀ (C·FH·FW, out_h·out_w) by im2col, then
/// W·col_nᵀ through the shared GEMM is that image's output already in (FN, out_h, out_w) order, so no transpose is
/// copied; images run in parallel. Backward: dW = Σ_n dout_n·col_n, dx by Wᵀ·dout_n and col2im. Forward keeps the
/// columns (in a buffer reused from batch to batch) for Backward.
/// </summary>
public sealed class Convolution : ILayer
{
    private int[]? _inputShape;

    /// <summary>
    /// Wraps filters (FN, C, FH, FW) and biases (FN,), named by the owning network (W1, b1, ...). The network's weight
    /// decay covers the filters when they are created with <c>weightDecay: true</c>, as for Affine's weights.
    /// </summary>
    /// <exception cref="ArgumentException">W is not 4-D or has a zero dimension, b is not (FN,), the stride is below 1
    /// or the padding negative.</exception>
    public Convolution(Parameter w, Parameter b, int stride = 1, int pad = 0)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(b);
        if (w.Value.Rank != 4 || w.Value.Length == 0)
        {
            throw new ArgumentException($"Convolution filters {w.Name} must be (FN, C, FH, FW) with no zero dimension; got shape {w.Value.ShapeString}.", nameof(w));
        }

        if (b.Value.Rank != 1 || b.Value.Dim(0) != w.Value.Dim(0))
        {
            throw new ArgumentException($"Convolution bias {b.Name} must have shape ({w.Value.Dim(0)},), one per filter of {w.Name} {w.Value.ShapeString}; got {b.Value.ShapeString}.", nameof(b));
        }

        if (stride < 1 || pad < 0)
        {
            throw new ArgumentException($"Convolution {w.Name} needs stride >= 1 and pad >= 0; got stride {stride}, pad {pad}.");
        }

        (W, B, Stride, Pad) = (w, b, stride, pad);
        Parameters = [w, b];
    }

    /// <summary>The filters (FN, C, FH, FW); their gradient dW = doutᵀ·col.</summary>
    public Parameter W { get; }

    /// <summary>The biases (FN,); their gradient db = Σ dout over the batch and the output positions.</summary>
    public Parameter B { get; }

    /// <summary>The step between filter positions, both axes.</summary>
    public int Stride { get; }

    /// <summary>The zeros added on each side of the images, both axes.</summary>
    public int Pad { get; }

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <inheritdoc/>
    public InferenceStep Inference => new InferenceStep.Convolution(W.Value, B.Value, Stride, Pad);

    private int FilterCount => W.Value.Dim(0);

    private int PatchLength => W.Value.Length / FilterCount;

    /// <inheritdoc/>
    /// <returns>(N, FN, out_h, out_w) with out_h = (H + 2·pad − FH) / stride + 1, likewise out_w.</returns>
    /// <exception cref="ArgumentException">x is not (N, C, H, W) with W's C, or the filters do not fit the padded images.</exception>
    public Tensor Forward(Tensor x, bool train)
    {
        ArgumentNullException.ThrowIfNull(x);
        var w = W.Value;
        if (x.Rank != 4 || x.Dim(1) != w.Dim(1))
        {
            throw new ArgumentException(
                $"Convolution {W.Name} {w.ShapeString} takes images (N, {w.Dim(1)}, H, W); got shape {x.ShapeString}.", nameof(x));
        }

        int n = x.Dim(0);
        int outH = ImageColumns.OutputSize(x.Dim(2), w.Dim(2), Stride, Pad);
        int outW = ImageColumns.OutputSize(x.Dim(3), w.Dim(3), Stride, Pad);
        var geometry = new Geometry(x.Dim(1), x.Dim(2), x.Dim(3), w.Dim(2), w.Dim(3), outH, outW);
        _inputShape = x.Shape.ToArray();
        _geometry = geometry;
        // The columns of every image stay for Backward's dW; the buffer is reused from batch to batch.
        int columnLength = PatchLength * geometry.Positions;
        if (_columns is null || _columns.Length != n * columnLength)
        {
            _columns = new float[n * columnLength];
        }

        var output = Tensor.Zeros(n, FilterCount, outH, outW);
        var columns = _columns;
        int imageLength = geometry.C * geometry.H * geometry.W;
        int outLength = FilterCount * geometry.Positions;
        // Per image: col_nᵀ (C·FH·FW, out_h·out_w) by im2col, then W (FN, C·FH·FW) · col_nᵀ is the image's output
        // (FN, out_h·out_w), already in (N, FN, out_h, out_w) order: no transpose copy. Images run in parallel.
        ForEachImage(n, image =>
        {
            var col = columns.AsSpan(image * columnLength, columnLength);
            ImageColumns.Im2ColTransposed(x.Span.Slice(image * imageLength, imageLength), geometry.C, geometry.H, geometry.W,
                geometry.FilterH, geometry.FilterW, Stride, Pad, outH, outW, col);
            var y = output.Span.Slice(image * outLength, outLength);
            Gemm.Multiply(Transpose.No, Transpose.No, FilterCount, geometry.Positions, PatchLength, 1f,
                w.Span, PatchLength, col, geometry.Positions, 0f, y, geometry.Positions);
            var bias = B.Value.Span;
            for (int f = 0; f < FilterCount; f++)
            {
                var plane = y.Slice(f * geometry.Positions, geometry.Positions);
                System.Numerics.Tensors.TensorPrimitives.Add(plane, bias[f], plane);
            }
        });
        return output;
    }

    /// <inheritdoc/>
    /// <param name="dout">dLoss/dy (N, FN, out_h, out_w).</param>
    /// <returns>dLoss/dx (N, C, H, W).</returns>
    public Tensor Backward(Tensor dout)
    {
        BackwardParameters(dout);
        var g = _geometry;
        int n = dout.Dim(0);
        var dx = Tensor.Zeros(_inputShape!);
        int imageLength = g.C * g.H * g.W;
        int outLength = FilterCount * g.Positions;
        int columnLength = PatchLength * g.Positions;
        var w = W.Value;
        ForEachImage(n, image =>
        {
            // dcol_nᵀ = Wᵀ · dout_n (C·FH·FW, out_h·out_w), then col2im of the one image.
            var dcol = ScratchColumns(columnLength);
            Gemm.Multiply(Transpose.Yes, Transpose.No, PatchLength, g.Positions, FilterCount, 1f,
                w.Span, PatchLength, dout.Span.Slice(image * outLength, outLength), g.Positions, 0f, dcol, g.Positions);
            ImageColumns.Col2ImTransposed(dcol, g.C, g.H, g.W, g.FilterH, g.FilterW, Stride, Pad, g.OutH, g.OutW,
                dx.Span.Slice(image * imageLength, imageLength));
        });
        return dx;
    }

    /// <summary>
    /// The parameter half of <see cref="Backward"/>: dW and db without dx, for a first layer, whose input (the images)
    /// needs no gradient: it skips the dcol product and col2im.
    /// </summary>
    /// <exception cref="InvalidOperationException">No Forward came before.</exception>
    public void BackwardParameters(Tensor dout)
    {
        ArgumentNullException.ThrowIfNull(dout);
        var columns = _columns ?? throw new InvalidOperationException($"Convolution {W.Name}: Backward needs a Forward first.");
        var g = _geometry;
        int n = _inputShape![0];
        if (dout.Rank != 4 || dout.Dim(0) != n || dout.Dim(1) != FilterCount || dout.Dim(2) != g.OutH || dout.Dim(3) != g.OutW)
        {
            throw new ArgumentException(
                $"Convolution {W.Name}: dout must be ({n}, {FilterCount}, {g.OutH}, {g.OutW}) as Forward gave; got {dout.ShapeString}.", nameof(dout));
        }

        int outLength = FilterCount * g.Positions;
        int columnLength = PatchLength * g.Positions;
        var db = B.Grad.Span;
        db.Clear();
        var d = dout.Span;
        for (int image = 0; image < n; image++)
        {
            for (int f = 0; f < FilterCount; f++)
            {
                db[f] += System.Numerics.Tensors.TensorPrimitives.Sum(d.Slice(image * outLength + f * g.Positions, g.Positions));
            }
        }

        // dWᵀ (C·FH·FW, FN) = Σ_n col_nᵀ · dout_nᵀ, summed per group of images into its own buffer and the groups added in
        // order: a fixed number of groups, so the result does not depend on the thread count.
        int groups = Math.Min(GradientGroups, n);
        int perGroup = (n + groups - 1) / groups;
        int length = PatchLength * FilterCount;
        if (_partials is null || _partials.Length != groups * length)
        {
            _partials = new float[groups * length];
        }

        var partials = _partials;
        Parallel.For(0, groups, group =>
        {
            var sum = partials.AsSpan(group * length, length);
            int first = group * perGroup, last = Math.Min(n, first + perGroup);
            for (int image = first; image < last; image++)
            {
                Gemm.Multiply(Transpose.No, Transpose.Yes, PatchLength, FilterCount, g.Positions, 1f,
                    columns.AsSpan(image * columnLength, columnLength), g.Positions, dout.Span.Slice(image * outLength, outLength), g.Positions,
                    image == first ? 0f : 1f, sum, FilterCount);
            }

            if (first >= last)
            {
                sum.Clear();
            }
        });

        var dw = W.Grad.Span;
        for (int p = 0; p < PatchLength; p++)
        {
            for (int f = 0; f < FilterCount; f++)
            {
                float total = 0;
                for (int group = 0; group < groups; group++)
                {
                    total += partials[group * length + p * FilterCount + f];
                }

                dw[f * PatchLength + p] = total;
            }
        }
    }

    /// <summary>Groups of images whose dW is summed separately (on any thread), then added in order.</summary>
    private const int GradientGroups = 4;

    [ThreadStatic]
    private static float[]? t_scratch;

    private Geometry _geometry;
    private float[]? _columns;
    private float[]? _partials;

    /// <summary>A per-thread buffer of at least <paramref name="length"/> floats for one image's dcol.</summary>
    private static Span<float> ScratchColumns(int length)
    {
        if (t_scratch is null || t_scratch.Length < length)
        {
            t_scratch = new float[length];
        }

        return t_scratch.AsSpan(0, length);
    }

    /// <summary>Runs <paramref name="body"/> for every image, images spread over the cores in contiguous runs.</summary>
    private static void ForEachImage(int n, Action<int> body)
    {
        int workers = Math.Min(n, Environment.ProcessorCount);
        if (workers < 2)
        {
            for (int image = 0; image < n; image++)
            {
                body(image);
            }

            return;
        }

        int per = (n + workers - 1) / workers;
        Parallel.For(0, workers, worker =>
        {
            for (int image = worker * per, end = Math.Min(n, image + per); image < end; image++)
            {
                body(image);
            }
        });
    }

    /// <summary>The sizes of the last Forward: input channels and size, filter size, output size.</summary>
    private readonly record struct Geometry(int C, int H, int W, int FilterH, int FilterW, int OutH, int OutW)
    {
        public int Positions => OutH * OutW;
    }
}
