using DeepScratch.Functions;
using DeepScratch.Kernels;

namespace DeepScratch.Layers;

/// <summary>
/// The convolution layer of chapter 7 (the book's <c>Convolution</c>): filters W (FN, C, FH, FW) slide over images
/// x (N, C, H, W) with a stride and zero padding, giving (N, FN, out_h, out_w) plus one bias per filter. The maths is
/// the book's im2col product; the layer picks, per call, the fastest kernel whose conditions it has checked:
/// <list type="bullet">
/// <item>Forward: one channel, stride 1 — a direct kernel on flat padded rows (<see cref="DirectSingleChannel"/>);
/// 3x3, stride 1, several channels, finite filters — Winograd F(2x2, 3x3) (rounds differently from im2col, within
/// float32 error); otherwise one batch-level GEMM with the im2col implicit in its packing and the bias in its
/// epilogue. Without the AVX2 / AVX-512 kernels, explicit columns per image.</item>
/// <item>dW = doutᵀ·col: one batch-level reduction — over flat rows for one channel and finite images, over fixed
/// chunks of implicit patch rows (<see cref="FilterGradient"/>) for several channels — else per image on explicit
/// columns; always summed in a fixed order, so the result does not depend on the thread count.</item>
/// <item>dx: for stride 1 and padding below the filter size, dout correlated with the filters turned by 180°
/// (Winograd for 3x3 with several channels, else the implicit GEMM when there are at least 8 channels); otherwise,
/// and whenever a filter holds NaN or ∞ (col2im drops the padding's terms, the correlation would not), Wᵀ·dout_n and
/// col2im per image.</item>
/// </list>
/// Like the book's <c>self.x</c>, Forward keeps a reference to x for Backward: x must not change in between.
/// </summary>
public sealed class Convolution : ILayer, IReusesBuffers
{
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

    /// <inheritdoc/>
    bool IReusesBuffers.ReuseBuffers { get; set; }

    private bool Reuse => ((IReusesBuffers)this).ReuseBuffers;

    private int FilterCount => W.Value.Dim(0);

    private int PatchLength => W.Value.Length / FilterCount;

    /// <inheritdoc/>
    /// <returns>(N, FN, out_h, out_w) with out_h = (H + 2·pad − FH) / stride + 1, likewise out_w.</returns>
    /// <exception cref="ArgumentException">x is not (N, C, H, W) with W's C, or the filters do not fit the padded images.</exception>
    /// <remarks>x is kept by reference (the book's <c>self.x</c>) for Backward's dW: change it only after Backward.</remarks>
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
        // As the book keeps self.x: Backward's dW reads the images again (the caller does not change x in between).
        _x = x;
        _geometry = geometry;
        _imagesLastIsX = false;
        // Every kernel below overwrites the whole output, so a reused buffer needs no clearing.
        var output = Reuse ? _outputBuffer.Get([n, FilterCount, outH, outW], reuse: true)
            : new Tensor(GC.AllocateUninitializedArray<float>(n * FilterCount * geometry.Positions), n, FilterCount, outH, outW);
        ForwardKernel = ChooseForward(geometry);
        if (ForwardKernel == ConvolutionKernel.SingleChannel && !ForwardSingleChannel(x, geometry, output))
        {
            ForwardKernel = ConvolutionKernel.ImplicitGemm;
        }

        if (ForwardKernel == ConvolutionKernel.Winograd && !ForwardWinograd(x, geometry, output))
        {
            ForwardKernel = ConvolutionKernel.ImplicitGemm; // a non-finite filter: the GEMM gives the direct NaN/∞ pattern
        }

        if (ForwardKernel == ConvolutionKernel.Direct)
        {
            DirectSingleChannel.Forward(x.Span, W.Value.Span, B.Value.Span, DirectShape(n, geometry), output.Span,
                Scratch(ref _directWorkspace, DirectSingleChannel.ForwardWorkspaceLength(DirectShape(n, geometry))));
        }
        else if (ForwardKernel == ConvolutionKernel.ImplicitGemm)
        {
            ForwardImplicit(x, geometry, output);
        }
        else if (ForwardKernel == ConvolutionKernel.Columns)
        {
            ForwardColumns(x, geometry, output);
        }

        return output;
    }

    /// <inheritdoc/>
    /// <param name="dout">dLoss/dy (N, FN, out_h, out_w).</param>
    /// <returns>dLoss/dx (N, C, H, W).</returns>
    public Tensor Backward(Tensor dout)
    {
        BackwardParameters(dout);
        var g = _geometry;
        var x = _x!;
        var dx = Reuse ? _dxBuffer.Get(x.Shape, reuse: true) : new Tensor(GC.AllocateUninitializedArray<float>(x.Length), x.Shape.ToArray());
        DataKernel = ChooseData(g);
        if (DataKernel == ConvolutionKernel.Winograd && !BackwardDataWinograd(dout, g, dx))
        {
            DataKernel = ConvolutionKernel.ImplicitGemm;
        }

        if (DataKernel == ConvolutionKernel.ImplicitGemm)
        {
            BackwardDataImplicit(dout, g, dx);
        }
        else if (DataKernel == ConvolutionKernel.Columns)
        {
            BackwardDataColumns(dout, g, dx);
        }

        return dx;
    }

    /// <summary>
    /// The parameter half of <see cref="Backward"/>: dW and db without dx, for a first layer, whose input (the images)
    /// needs no gradient: it skips the data-gradient product.
    /// </summary>
    /// <exception cref="InvalidOperationException">No Forward came before.</exception>
    public void BackwardParameters(Tensor dout)
    {
        ArgumentNullException.ThrowIfNull(dout);
        var x = _x ?? throw new InvalidOperationException($"Convolution {W.Name}: Backward needs a Forward first.");
        var g = _geometry;
        int n = x.Dim(0);
        if (dout.Rank != 4 || dout.Dim(0) != n || dout.Dim(1) != FilterCount || dout.Dim(2) != g.OutH || dout.Dim(3) != g.OutW)
        {
            throw new ArgumentException(
                $"Convolution {W.Name}: dout must be ({n}, {FilterCount}, {g.OutH}, {g.OutW}) as Forward gave; got {dout.ShapeString}.", nameof(dout));
        }

        int outLength = FilterCount * g.Positions;
        int columnLength = PatchLength * g.Positions;
        int imageLength = g.C * g.H * g.W;
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

        // One channel: one batch-level reduction on the flat rows, for finite images (it multiplies a zero dout by the
        // pixels that wrap around the rows, which must not be NaN or ∞).
        GradientKernel = ConvolutionKernel.Columns;
        if (g.C == 1 && Stride == 1 && DirectSingleChannel.IsSupported && ForcedKernel is null or ConvolutionKernel.Direct
            && System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<float>(x.Span))
        {
            var shape = DirectShape(n, g);
            DirectSingleChannel.FilterGradient(x.Span, dout.Span, shape, W.Grad.Span,
                Scratch(ref _directWorkspace, DirectSingleChannel.GradientWorkspaceLength(shape)));
            GradientKernel = ConvolutionKernel.Direct;
            return;
        }

        if (Gemm.HasFastKernels && g.C > 1 && ForcedKernel != ConvolutionKernel.Columns)
        {
            // One batch-level reduction over all N·out_h·out_w patch rows (FilterGradient), no per-image columns.
            // The channels-last copy of x Forward made is reused while dx has not overwritten it.
            (_filterGradient ??= new FilterGradient()).Compute(x.Span, _imagesLastIsX ? _imagesLast.AsSpan(0, x.Length) : default, d, n,
                new PatchGeometry(g.H, g.W, g.C, g.FilterH, g.FilterW, Stride, Pad), FilterCount, W.Grad.Span);
            GradientKernel = ConvolutionKernel.ImplicitGemm;
            return;
        }

        // dWᵀ (C·FH·FW, FN) = Σ_n col_nᵀ · dout_nᵀ, summed per group of images into its own buffer and the groups added in
        // order: a fixed number of groups, so the result does not depend on the thread count. Each image's columns are
        // rebuilt here, in a per-thread buffer that stays in cache, rather than kept for the whole batch since Forward.
        // At least one group: an empty batch's one group has no image, and its sum is cleared below (dW = 0, numpy's colᵀ·dout).
        int groups = Math.Max(1, Math.Min(GradientGroups, n));
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
                var col = ScratchColumns(columnLength);
                ImageColumns.Im2ColTransposed(x.Span.Slice(image * imageLength, imageLength), g.C, g.H, g.W,
                    g.FilterH, g.FilterW, Stride, Pad, g.OutH, g.OutW, col);
                Gemm.Multiply(Transpose.No, Transpose.Yes, PatchLength, FilterCount, g.Positions, 1f,
                    col, g.Positions, dout.Span.Slice(image * outLength, outLength), g.Positions,
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

    /// <summary>
    /// Whether dx is computed as a correlation of dout (stride 1, padded by FH−1−pad) with the filters turned by 180°:
    /// one padding for both axes needs a square filter, and the padding FH−1−pad must not be negative.
    /// </summary>
    private bool UsesFlippedCorrelation(Geometry g) => Stride == 1 && g.FilterH == g.FilterW && Pad <= g.FilterH - 1;

    /// <summary>For tests: the kernel Forward and Backward's dx must use where it applies (null: the layer's own choice).</summary>
    internal ConvolutionKernel? ForcedKernel { get; set; }

    /// <summary>The kernel the last Forward ran.</summary>
    internal ConvolutionKernel ForwardKernel { get; private set; }

    /// <summary>The kernel the last Backward's dx ran.</summary>
    internal ConvolutionKernel DataKernel { get; private set; }

    /// <summary>The kernel the last Backward's dW ran: <see cref="ConvolutionKernel.Direct"/> (one channel), <see cref="ConvolutionKernel.ImplicitGemm"/> (the batch-level reduction) or the per-image columns.</summary>
    internal ConvolutionKernel GradientKernel { get; private set; }

    private DirectSingleChannel.Shape DirectShape(int n, Geometry g) => new(n, FilterCount, g.H, g.W, g.FilterH, g.FilterW, Pad);

    /// <summary>
    /// One channel, stride 1: the direct kernel on flat rows (<see cref="DirectSingleChannel"/>), else the per-image
    /// columns (k = FH·FW is too short for the batch GEMM's packing); 3x3 stride 1 with several channels: Winograd
    /// F(2x2, 3x3); otherwise the implicit-im2col GEMM.
    /// </summary>
    private ConvolutionKernel ChooseForward(Geometry g)
    {
        if (!Gemm.HasFastKernels)
        {
            return ConvolutionKernel.Columns;
        }

        bool direct = g.C == 1 && Stride == 1 && g.FilterH == g.FilterW && WinogradConvolution.IsSupported;
        bool flat = g.C == 1 && Stride == 1 && DirectSingleChannel.IsSupported;
        bool winograd = g.C > 1 && Stride == 1 && g.FilterH == 3 && g.FilterW == 3 && WinogradConvolution.IsSupported;
        return ForcedKernel switch
        {
            ConvolutionKernel.Columns or ConvolutionKernel.ImplicitGemm => ForcedKernel.Value,
            ConvolutionKernel.SingleChannel when direct => ConvolutionKernel.SingleChannel,
            ConvolutionKernel.Direct when flat => ConvolutionKernel.Direct,
            ConvolutionKernel.Winograd when winograd || (g.C == 1 && Stride == 1 && g.FilterH == 3 && g.FilterW == 3 && WinogradConvolution.IsSupported) => ConvolutionKernel.Winograd,
            // Measured (trainconv's one-channel table, batch 100): the flat-row kernel 1.0 ms against the columns' 2.5 and
            // SingleChannel's 2.3 (NHWC + relayout) for SimpleConvNet's conv; 0.47 against 0.65 / 1.0 for DeepConvNet's conv1.
            null when flat => ConvolutionKernel.Direct,
            null when g.C == 1 => ConvolutionKernel.Columns,
            null when winograd && UseWinograd => ConvolutionKernel.Winograd,
            _ => ConvolutionKernel.ImplicitGemm,
        };
    }

    /// <summary>
    /// dx: for stride 1, the correlation of dout with the turned filters (Winograd for 3x3 with at least 2 channels,
    /// else the implicit GEMM when C fills most of a 16-column panel); otherwise dcol and col2im per image.
    /// </summary>
    private ConvolutionKernel ChooseData(Geometry g)
    {
        // With a NaN/∞ filter the correlation over the zero-padded dout would give 0·NaN at the image borders where the
        // book's col2im adds nothing: only dcol + col2im keeps the book's NaN pattern there.
        if (!Gemm.HasFastKernels || !UsesFlippedCorrelation(g) || !System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<float>(W.Value.Span))
        {
            return ConvolutionKernel.Columns;
        }

        bool winograd = g.FilterH == 3 && WinogradConvolution.IsSupported;
        return ForcedKernel switch
        {
            ConvolutionKernel.Columns or ConvolutionKernel.ImplicitGemm => ForcedKernel.Value,
            ConvolutionKernel.Winograd when winograd => ConvolutionKernel.Winograd,
            null when winograd && g.C > 1 && UseWinograd => ConvolutionKernel.Winograd,
            null when g.C >= MinimumImplicitChannels => ConvolutionKernel.ImplicitGemm,
            null => ConvolutionKernel.Columns,
            _ => ConvolutionKernel.ImplicitGemm,
        };
    }

    /// <summary>Below this many input channels dx's implicit GEMM (n = C columns) wastes most of its 16-wide panels.</summary>
    private const int MinimumImplicitChannels = 8;

    /// <summary>Whether the automatic choice takes Winograd for 3x3 stride-1 products (measured faster here).</summary>
    private const bool UseWinograd = true;

    /// <summary>
    /// The one-channel direct kernel (<see cref="SingleChannelConvolution"/>, bias fused, channels-last output), then
    /// back to (N, FN, out_h, out_w). False when the kernel is not available.
    /// </summary>
    private bool ForwardSingleChannel(Tensor x, Geometry g, Tensor output)
    {
        var kernel = SingleChannelConvolution.TryCreate(W.Value.Span, B.Value.Span, FilterCount, g.FilterH, Pad, relu: false, pool: false);
        if (kernel is null)
        {
            return false;
        }

        int n = x.Dim(0);
        var workspace = Scratch(ref _workspace, kernel.WorkspaceLength(n, g.H, g.W));
        var last = Scratch(ref _outputsLast, output.Length);
        kernel.Forward(x.Span, n, g.H, g.W, last, workspace);
        TrainingConvolution.ToChannelsFirst(last, n, FilterCount, g.Positions, output.Span);
        return true;
    }

    /// <summary>
    /// Winograd F(2x2, 3x3) on channels-last copies (<see cref="WinogradConvolution"/>, bias fused). False when the
    /// filters are not all finite (the kernel refuses them) or the kernel is not available.
    /// </summary>
    private bool ForwardWinograd(Tensor x, Geometry g, Tensor output)
    {
        var kernel = WinogradConvolution.TryCreate(W.Value.Span, B.Value.Span, FilterCount, g.C, Pad, relu: false);
        if (kernel is null)
        {
            return false;
        }

        int n = x.Dim(0);
        var nhwc = Scratch(ref _imagesLast, x.Length);
        TrainingConvolution.ToChannelsLast(x.Span, n, g.C, g.H * g.W, nhwc);
        _imagesLastIsX = true;
        var workspace = Scratch(ref _workspace, kernel.WorkspaceLength(n, g.H, g.W));
        var last = Scratch(ref _outputsLast, output.Length);
        kernel.Forward(nhwc, n, g.H, g.W, last, workspace);
        TrainingConvolution.ToChannelsFirst(last, n, FilterCount, g.Positions, output.Span);
        return true;
    }

    /// <summary>
    /// dx for 3x3 stride 1 by Winograd: dout (channels-last, FN channels) padded by 2 − pad, correlated with the
    /// filters turned by 180° as C filters of FN channels: W'[c, f, ky, kx] = W[f, c, 2 − ky, 2 − kx].
    /// </summary>
    private bool BackwardDataWinograd(Tensor dout, Geometry g, Tensor dx)
    {
        var w = W.Value.Span;
        var turned = Scratch(ref _arranged, w.Length);
        for (int f = 0; f < FilterCount; f++)
        {
            for (int c = 0; c < g.C; c++)
            {
                for (int k = 0; k < 9; k++)
                {
                    turned[(c * FilterCount + f) * 9 + k] = w[(f * g.C + c) * 9 + 8 - k];
                }
            }
        }

        var zeros = Scratch(ref _bias, g.C);
        zeros.Clear();
        var kernel = WinogradConvolution.TryCreate(turned, zeros, g.C, FilterCount, 2 - Pad, relu: false);
        if (kernel is null)
        {
            return false;
        }

        int n = dout.Dim(0);
        var doutLast = Scratch(ref _doutLast, dout.Length);
        TrainingConvolution.ToChannelsLast(dout.Span, n, FilterCount, g.Positions, doutLast);
        var workspace = Scratch(ref _workspace, kernel.WorkspaceLength(n, g.OutH, g.OutW));
        _imagesLastIsX = false;
        var last = Scratch(ref _imagesLast, dx.Length);
        kernel.Forward(doutLast, n, g.OutH, g.OutW, last, workspace);
        TrainingConvolution.ToChannelsFirst(last, n, g.C, g.H * g.W, dx.Span);
        return true;
    }

    /// <summary>
    /// The whole batch as one implicit-im2col GEMM: x to channels-last (C = 1 is already), y (N·out_h·out_w, FN) =
    /// patches(x) · B + b with the filters packed once as B (FH·FW·C, FN) and the bias added in the epilogue, then
    /// back to (N, FN, out_h, out_w).
    /// </summary>
    private void ForwardImplicit(Tensor x, Geometry g, Tensor output)
    {
        int n = x.Dim(0);
        var w = W.Value;
        var patches = new PatchGeometry(g.H, g.W, g.C, g.FilterH, g.FilterW, Stride, Pad);
        ReadOnlySpan<float> images = x.Span;
        if (g.C > 1)
        {
            var nhwc = Scratch(ref _imagesLast, x.Length);
            TrainingConvolution.ToChannelsLast(x.Span, n, g.C, g.H * g.W, nhwc);
            _imagesLastIsX = true;
            images = nhwc;
        }

        var arranged = Scratch(ref _arranged, w.Length);
        TrainingConvolution.ArrangeFilters(w.Span, FilterCount, g.C, g.FilterH, g.FilterW, flipped: false, arranged);
        var packed = PackedMatrix.Pack(arranged, FilterCount, Transpose.No, PatchLength, FilterCount, _packed);
        _packed = packed.Data;
        var bias = Scratch(ref _bias, (FilterCount + PackedMatrix.PanelWidth - 1) / PackedMatrix.PanelWidth * PackedMatrix.PanelWidth);
        bias.Clear();
        B.Value.Span.CopyTo(bias);
        if (g.Positions == 1)
        {
            TrainingConvolution.Correlate(images, n, patches, packed, _bias, output.Span);
            return;
        }

        var last = Scratch(ref _outputsLast, output.Length);
        TrainingConvolution.Correlate(images, n, patches, packed, _bias, last);
        TrainingConvolution.ToChannelsFirst(last, n, FilterCount, g.Positions, output.Span);
    }

    /// <summary>
    /// dx for stride 1 as one implicit-im2col GEMM: dx (N·H·W, C) = patches(dout padded by FH−1−pad) · B with
    /// B[(fy, fx, f), c] = W[f, c, FH−1−fy, FW−1−fx] (the full correlation with the turned filters is the adjoint of
    /// the forward one), no dcol matrix and no col2im; then back to (N, C, H, W).
    /// </summary>
    private void BackwardDataImplicit(Tensor dout, Geometry g, Tensor dx)
    {
        int n = dout.Dim(0);
        var w = W.Value;
        var patches = new PatchGeometry(g.OutH, g.OutW, FilterCount, g.FilterH, g.FilterW, 1, g.FilterH - 1 - Pad);
        var doutLast = Scratch(ref _doutLast, dout.Length);
        TrainingConvolution.ToChannelsLast(dout.Span, n, FilterCount, g.Positions, doutLast);
        var arranged = Scratch(ref _arranged, w.Length);
        TrainingConvolution.ArrangeFilters(w.Span, FilterCount, g.C, g.FilterH, g.FilterW, flipped: true, arranged);
        var packed = PackedMatrix.Pack(arranged, g.C, Transpose.No, g.FilterH * g.FilterW * FilterCount, g.C, _packed);
        _packed = packed.Data;
        if (g.C == 1)
        {
            TrainingConvolution.Correlate(doutLast, n, patches, packed, null, dx.Span);
            return;
        }

        _imagesLastIsX = false;
        var last = Scratch(ref _imagesLast, dx.Length);
        TrainingConvolution.Correlate(doutLast, n, patches, packed, null, last);
        TrainingConvolution.ToChannelsFirst(last, n, g.C, g.H * g.W, dx.Span);
    }

    /// <summary>
    /// The portable forward (no AVX2 or AVX-512 kernels): per image, col_nᵀ (C·FH·FW, out_h·out_w) by im2col, then
    /// W (FN, C·FH·FW) · col_nᵀ is the image's output (FN, out_h·out_w) in NCHW order, plus the bias; images in parallel.
    /// </summary>
    private void ForwardColumns(Tensor x, Geometry g, Tensor output)
    {
        var w = W.Value;
        int imageLength = g.C * g.H * g.W;
        int outLength = FilterCount * g.Positions;
        int columnLength = PatchLength * g.Positions;
        ForEachImage(x.Dim(0), image =>
        {
            var col = ScratchColumns(columnLength);
            ImageColumns.Im2ColTransposed(x.Span.Slice(image * imageLength, imageLength), g.C, g.H, g.W,
                g.FilterH, g.FilterW, Stride, Pad, g.OutH, g.OutW, col);
            var y = output.Span.Slice(image * outLength, outLength);
            Gemm.Multiply(Transpose.No, Transpose.No, FilterCount, g.Positions, PatchLength, 1f,
                w.Span, PatchLength, col, g.Positions, 0f, y, g.Positions);
            var bias = B.Value.Span;
            for (int f = 0; f < FilterCount; f++)
            {
                var plane = y.Slice(f * g.Positions, g.Positions);
                System.Numerics.Tensors.TensorPrimitives.Add(plane, bias[f], plane);
            }
        });
    }

    /// <summary>dx for any stride and padding: per image dcol_nᵀ = Wᵀ · dout_n (C·FH·FW, out_h·out_w), then col2im.</summary>
    private void BackwardDataColumns(Tensor dout, Geometry g, Tensor dx)
    {
        dx.Span.Clear();
        int imageLength = g.C * g.H * g.W;
        int outLength = FilterCount * g.Positions;
        int columnLength = PatchLength * g.Positions;
        var w = W.Value;
        ForEachImage(dout.Dim(0), image =>
        {
            var dcol = ScratchColumns(columnLength);
            Gemm.Multiply(Transpose.Yes, Transpose.No, PatchLength, g.Positions, FilterCount, 1f,
                w.Span, PatchLength, dout.Span.Slice(image * outLength, outLength), g.Positions, 0f, dcol, g.Positions);
            ImageColumns.Col2ImTransposed(dcol, g.C, g.H, g.W, g.FilterH, g.FilterW, Stride, Pad, g.OutH, g.OutW,
                dx.Span.Slice(image * imageLength, imageLength));
        });
    }

    /// <summary>Groups of images whose dW is summed separately (on any thread), then added in order.</summary>
    private const int GradientGroups = 4;

    [ThreadStatic]
    private static float[]? t_scratch;

    private readonly TensorBuffer _outputBuffer = new();
    private readonly TensorBuffer _dxBuffer = new();
    private Geometry _geometry;
    private Tensor? _x;
    private float[]? _partials;
    private FilterGradient? _filterGradient;

    /// <summary>Whether <see cref="_imagesLast"/> holds the last Forward's x channels-last (dx's Backward reuses the buffer).</summary>
    private bool _imagesLastIsX;

    // Internal scratch reused from batch to batch (never returned to a caller): channels-last images (and dx),
    // outputs, dout, the filters rearranged and packed, the padded bias.
    private float[]? _imagesLast;
    private float[]? _outputsLast;
    private float[]? _doutLast;
    private float[]? _arranged;
    private float[]? _packed;
    private float[]? _bias;
    private float[]? _workspace;
    private float[]? _directWorkspace;

    /// <summary>The first <paramref name="length"/> floats of <paramref name="buffer"/>, grown when too small.</summary>
    private static Span<float> Scratch(ref float[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length)
        {
            buffer = GC.AllocateUninitializedArray<float>(length);
        }

        return buffer.AsSpan(0, length);
    }

    /// <summary>A per-thread buffer of at least <paramref name="length"/> floats for one image's columns.</summary>
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
