using DeepScratch.Functions;
using DeepScratch.Kernels;

namespace DeepScratch.Layers;

/// <summary>
/// The convolution layer of chapter 7 (the book's <c>Convolution</c>): filters W (FN, C, FH, FW) slide over images
/// x (N, C, H, W) with a stride and zero padding, giving (N, FN, out_h, out_w) plus one bias per filter. Forward is
/// <see cref="ImageColumns.Im2Col"/> then one matrix product col·Wᵀ through the shared GEMM; Backward is two more
/// products and <see cref="ImageColumns.Col2Im"/>. Forward keeps col for Backward's dW = doutᵀ·col.
/// </summary>
public sealed class Convolution : ILayer
{
    private int[]? _inputShape;
    private Tensor? _col;

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

        int outH = ImageColumns.OutputSize(x.Dim(2), w.Dim(2), Stride, Pad);
        int outW = ImageColumns.OutputSize(x.Dim(3), w.Dim(3), Stride, Pad);
        _inputShape = x.Shape.ToArray();
        _col = ImageColumns.Im2Col(x, w.Dim(2), w.Dim(3), Stride, Pad);
        var output = Tensor.MatMul(_col, Transpose.No, w.Reshape(FilterCount, PatchLength), Transpose.Yes);
        output.AddRowVectorInPlace(B.Value);
        // Rows are (n, y, x), columns the filters: the book's reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2).
        return output.Reshape(x.Dim(0), outH, outW, FilterCount).Transpose(0, 3, 1, 2);
    }

    /// <inheritdoc/>
    /// <param name="dout">dLoss/dy (N, FN, out_h, out_w).</param>
    /// <returns>dLoss/dx (N, C, H, W).</returns>
    public Tensor Backward(Tensor dout)
    {
        var rows = BackwardParameters2D(dout);
        var dcol = Tensor.MatMul(rows, Transpose.No, W.Value.Reshape(FilterCount, PatchLength), Transpose.No);
        return ImageColumns.Col2Im(dcol, _inputShape!, W.Value.Dim(2), W.Value.Dim(3), Stride, Pad);
    }

    /// <summary>
    /// The parameter half of <see cref="Backward"/>: dW and db without dx, for a first layer, whose input (the images)
    /// needs no gradient: it skips the dcol product and col2im.
    /// </summary>
    /// <exception cref="InvalidOperationException">No Forward came before.</exception>
    public void BackwardParameters(Tensor dout) => BackwardParameters2D(dout);

    /// <summary>Fills dW and db; returns dout as rows (N*out_h*out_w, FN), the layout of Forward's product.</summary>
    private Tensor BackwardParameters2D(Tensor dout)
    {
        ArgumentNullException.ThrowIfNull(dout);
        var col = _col ?? throw new InvalidOperationException($"Convolution {W.Name}: Backward needs a Forward first.");
        int rowCount = col.Dim(0);
        if (dout.Rank != 4 || dout.Dim(1) != FilterCount || dout.Length != rowCount * FilterCount)
        {
            throw new ArgumentException(
                $"Convolution {W.Name}: dout must be (N, {FilterCount}, out_h, out_w) as Forward gave, {rowCount * FilterCount} values; got {dout.ShapeString}.", nameof(dout));
        }

        var rows = dout.Transpose(0, 2, 3, 1).Reshape(rowCount, FilterCount);
        rows.SumAxis0(B.Grad);
        Tensor.MatMul(rows, Transpose.Yes, col, Transpose.No, W.Grad.Reshape(FilterCount, PatchLength));
        return rows;
    }
}
