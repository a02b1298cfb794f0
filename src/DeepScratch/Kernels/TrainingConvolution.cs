namespace DeepScratch.Kernels;

/// <summary>
/// The batch-level products of the training Convolution layer on the shared GEMM: one implicit-im2col product for
/// the whole batch (<see cref="SourceKind.ImagePatches"/>: patch rows written from channels-last images as each row
/// block is packed, no col matrix in memory), filters packed once per call, the bias added in the GEMM's epilogue;
/// plus the NCHW ⇄ NHWC copies around it and the filter layouts the products read.
/// </summary>
internal static unsafe class TrainingConvolution
{
    /// <summary>Images per parallel unit of the layout copies below which they stay on one thread.</summary>
    private const int ParallelCopyFloats = 1 << 16;

    /// <summary>
    /// outputs (N·outH·outW, FN), channels-last = patches(images) · B (+ bias): row (n, oy, ox) is the filter
    /// responses at that position. <paramref name="images"/> is (N, H, W, C) as <paramref name="geometry"/> says.
    /// </summary>
    /// <param name="images">Channels-last images, N·H·W·C floats.</param>
    /// <param name="n">Images in the batch.</param>
    /// <param name="geometry">The images' size, the filter size, stride and padding.</param>
    /// <param name="filters">B: (FH·FW·C, FN), rows in the patches' (fy, fx, c) order.</param>
    /// <param name="paddedBias">The bias padded to whole panels (<see cref="PackedMatrix.PadBias"/>), or null.</param>
    /// <param name="outputs">N·outH·outW·FN floats, overwritten.</param>
    public static void Correlate(ReadOnlySpan<float> images, int n, PatchGeometry geometry, PackedMatrix filters, float[]? paddedBias, Span<float> outputs)
    {
        int rows = checked(n * geometry.OutH * geometry.OutW);
        if (filters.Rows != geometry.PatchLength || images.Length < (long)n * geometry.ImageLength || outputs.Length < (long)rows * filters.Columns)
        {
            throw new ArgumentException($"Convolution product: {n} images of {geometry} do not match filters {filters.Rows} x {filters.Columns} or the buffers.");
        }

        fixed (float* x = images)
        fixed (float* pb = &filters.Data[filters.Offset])
        fixed (float* y = outputs)
        fixed (float* bias = paddedBias)
        {
            var op = new Operation(rows, filters.Columns, filters.Rows, MatrixSource.ImagePatches(x, geometry), filters, pb,
                1f, 0f, y, filters.Columns, bias, Activation.None);
            Gemm.Run(op);
        }
    }

    /// <summary>
    /// The filters W (FN, C, FH, FW) as the forward product's B (FH·FW·C, FN): B[(fy, fx, c), f] = W[f, c, fy, fx].
    /// With <paramref name="flipped"/>, the data gradient's B (FH·FW·FN, C) instead: B[(fy, fx, f), c] =
    /// W[f, c, FH−1−fy, FW−1−fx] (dx is dout, padded by FH−1−pad, correlated with the filters turned by 180°).
    /// </summary>
    public static void ArrangeFilters(ReadOnlySpan<float> w, int fn, int c, int fh, int fw, bool flipped, Span<float> b)
    {
        for (int f = 0; f < fn; f++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                for (int ky = 0; ky < fh; ky++)
                {
                    for (int kx = 0; kx < fw; kx++)
                    {
                        float value = w[((f * c + ch) * fh + ky) * fw + kx];
                        if (flipped)
                        {
                            b[((((fh - 1 - ky) * fw) + (fw - 1 - kx)) * fn + f) * c + ch] = value;
                        }
                        else
                        {
                            b[((ky * fw + kx) * c + ch) * fn + f] = value;
                        }
                    }
                }
            }
        }
    }

    /// <summary>(N, C, P) → (N, P, C): channels-first planes of P values to channels-last.</summary>
    public static void ToChannelsLast(ReadOnlySpan<float> source, int n, int channels, int plane, Span<float> destination) =>
        Relayout(source, n, channels, plane, destination, toLast: true);

    /// <summary>(N, P, C) → (N, C, P): channels-last to channels-first planes of P values.</summary>
    public static void ToChannelsFirst(ReadOnlySpan<float> source, int n, int channels, int plane, Span<float> destination) =>
        Relayout(source, n, channels, plane, destination, toLast: false);

    private static void Relayout(ReadOnlySpan<float> source, int n, int channels, int plane, Span<float> destination, bool toLast)
    {
        int image = channels * plane;
        if (source.Length < (long)n * image || destination.Length < (long)n * image)
        {
            throw new ArgumentException($"A layout copy of {n} images of {channels} x {plane} needs {n * image} floats each side.");
        }

        if (channels == 1 || plane == 1)
        {
            source[..(n * image)].CopyTo(destination); // the two layouts are the same
            return;
        }

        fixed (float* s = source)
        fixed (float* d = destination)
        {
            nint src = (nint)s, dst = (nint)d;
            int workers = (long)n * image < ParallelCopyFloats ? 1 : Math.Min(n, Environment.ProcessorCount);
            int per = (n + workers - 1) / workers;
            void Part(int worker)
            {
                for (int i = worker * per, end = Math.Min(n, i + per); i < end; i++)
                {
                    float* from = (float*)src + (long)i * image;
                    float* to = (float*)dst + (long)i * image;
                    var (rows, cols) = toLast ? (channels, plane) : (plane, channels);
                    DeepScratch.Tensors.MatrixTranspose.Run(new ReadOnlySpan<float>(from, image), rows, cols, new Span<float>(to, image));
                }
            }

            if (workers < 2)
            {
                Part(0);
            }
            else
            {
                Parallel.For(0, workers, Part);
            }
        }
    }
}

/// <summary>The ways the training Convolution layer computes its forward product and its data gradient.</summary>
internal enum ConvolutionKernel
{
    /// <summary>Per image: explicit transposed im2col (or dcol and col2im) and a GEMM; any stride, padding and machine.</summary>
    Columns,

    /// <summary>One GEMM over the batch, im2col implicit in the packing (<see cref="TrainingConvolution.Correlate"/>).</summary>
    ImplicitGemm,

    /// <summary>Winograd F(2x2, 3x3) (<see cref="WinogradConvolution"/>): 3x3 stride 1, finite filters.</summary>
    Winograd,

    /// <summary>The direct one-channel kernel (<see cref="SingleChannelConvolution"/>): C = 1, square filter, stride 1.</summary>
    SingleChannel,

    /// <summary>
    /// The direct one-channel kernel on flat padded rows writing NCHW planes (<see cref="DirectSingleChannel"/>): C = 1,
    /// stride 1, any filter; also its dW (finite images only).
    /// </summary>
    Direct,
}
