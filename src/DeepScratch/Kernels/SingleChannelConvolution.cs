using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DeepScratch.Kernels;

/// <summary>
/// A direct convolution for one-channel images (the first layer of the book's CNNs: SimpleConvNet's 30 filters 5x5,
/// DeepConvNet's 16 filters 3x3), stride 1, any square filter size and padding, bias + ReLU fused and optionally the
/// 2x2 stride-2 max pooling that follows. With C = 1 the im2col GEMM has k = FH·FW (25 or 9), too short to amortise
/// its packing; here each input pixel is broadcast against 32 filters held in two 16-float registers, for a 2 x 4
/// block of output pixels (16 accumulators; 2 x 8 pixels against one register when at most 16 filters remain), reading a zero-padded copy of the image so no bounds are checked.
/// Output channels-last (NHWC). Immutable and safe for several callers at once (each passes its own workspace).
/// </summary>
/// <remarks>
/// Each output sums its FH·FW products in order (ky, kx) by FMA from zero, then adds the bias: not the GEMM's order,
/// so results may differ from im2col + GEMM in the last bits. Non-finite weights or pixels propagate exactly as in a
/// direct convolution (no zero-skipping, no transform).
/// </remarks>
internal sealed unsafe class SingleChannelConvolution
{
    private const int Lanes = 16;

    /// <summary>Filters per register group: two vectors.</summary>
    private const int Group = 2 * Lanes;

    /// <summary>Output pixels per strip along x for 32 filters (two vectors each).</summary>
    private const int StripWidth = 4;

    /// <summary>Output pixels per strip along x when at most 16 filters remain (one vector each): still 16 accumulators.</summary>
    private const int NarrowStripWidth = 8;

    /// <summary>Output pixels per strip along x on the pooled path for 32 filters: 2 x 6 x 2 = 24 accumulators.</summary>
    private const int PooledStripWidth = 6;

    /// <summary>Weights [group][ky·FW + kx][32]: each group's 32 filters, zero past FN.</summary>
    private readonly float[] _weights;

    /// <summary>Bias padded with zeros to whole groups.</summary>
    private readonly float[] _bias;

    private SingleChannelConvolution(float[] weights, float[] bias, int filterCount, int filterSize, int pad, bool relu, bool pool)
    {
        (_weights, _bias) = (weights, bias);
        (FilterCount, FilterSize, Pad, Relu, Pool) = (filterCount, filterSize, pad, relu, pool);
    }

    /// <summary>FN: the filters, and the channels of the output.</summary>
    public int FilterCount { get; }

    /// <summary>FH = FW: the filters' height and width.</summary>
    public int FilterSize { get; }

    /// <summary>Zeros added on each side of the images, both axes.</summary>
    public int Pad { get; }

    /// <summary>Whether ReLU (max(0, x)) follows the bias.</summary>
    public bool Relu { get; }

    /// <summary>Whether 2x2 stride-2 max pooling follows (after the ReLU); an odd last row or column is dropped, as the book's pooling does.</summary>
    public bool Pool { get; }

    /// <summary>
    /// Packs the filters once; null on machines without AVX-512 + FMA (<see cref="WinogradConvolution.IsSupported"/>),
    /// where callers keep im2col + GEMM.
    /// </summary>
    /// <param name="filters">(FN, 1, F, F), row-major.</param>
    /// <param name="bias">(FN,).</param>
    /// <param name="filterCount">FN ≥ 1.</param>
    /// <param name="filterSize">F ≥ 1.</param>
    /// <param name="pad">Zero padding ≥ 0 on each side.</param>
    /// <param name="relu">Whether to apply ReLU after the bias.</param>
    /// <param name="pool">Whether to apply 2x2 stride-2 max pooling after that.</param>
    /// <exception cref="ArgumentException">The lengths do not match FN·F·F and FN, or a size is out of range.</exception>
    public static SingleChannelConvolution? TryCreate(ReadOnlySpan<float> filters, ReadOnlySpan<float> bias, int filterCount, int filterSize, int pad, bool relu, bool pool)
    {
        if (filterCount < 1 || filterSize < 1 || pad < 0)
        {
            throw new ArgumentException($"Single-channel convolution needs FN ≥ 1, F ≥ 1, pad ≥ 0; got FN {filterCount}, F {filterSize}, pad {pad}.");
        }

        int taps = filterSize * filterSize;
        if (filters.Length != (long)filterCount * taps || bias.Length != filterCount)
        {
            throw new ArgumentException($"Single-channel convolution needs filters (FN={filterCount}, 1, {filterSize}, {filterSize}) and bias ({filterCount},); got {filters.Length} and {bias.Length} values.");
        }

        if (!WinogradConvolution.IsSupported)
        {
            return null;
        }

        int groups = (filterCount + Group - 1) / Group;
        var weights = new float[groups * taps * Group];
        for (int f = 0; f < filterCount; f++)
        {
            for (int t = 0; t < taps; t++)
            {
                weights[((f / Group) * taps + t) * Group + f % Group] = filters[f * taps + t];
            }
        }

        var padded = new float[groups * Group];
        bias.CopyTo(padded);
        return new SingleChannelConvolution(weights, padded, filterCount, filterSize, pad, relu, pool);
    }

    /// <summary>Convolution output height or width for an input of <paramref name="size"/>: size + 2·pad − F + 1.</summary>
    public int ConvolutionSize(int size) => size + 2 * Pad - FilterSize + 1;

    /// <summary>Output height or width (after the pooling when <see cref="Pool"/>).</summary>
    public int OutputSize(int size) => Pool ? ConvolutionSize(size) / 2 : ConvolutionSize(size);

    /// <summary>Floats of workspace <see cref="Forward"/> needs: one zero-padded image per core.</summary>
    public int WorkspaceLength(int n, int height, int width) =>
        checked(Math.Max(1, Math.Min(n, Environment.ProcessorCount)) * PaddedLength(height, width));

    private int PaddedHeight(int height) => height + 2 * Pad + 1;

    /// <summary>Padded row length: room for the last strip's columns past the edge, whose results are dropped.</summary>
    private int PaddedWidth(int width) => width + 2 * Pad + NarrowStripWidth;

    private int PaddedLength(int height, int width) => PaddedHeight(height) * PaddedWidth(width);

    /// <summary>
    /// output (n, outH, outW, FN) = [pool]([ReLU](conv(input (n, H, W), filters, pad) + bias)), channels-last; parallel
    /// over the images.
    /// </summary>
    /// <exception cref="ArgumentException">A span is shorter than the shapes need, or the filter does not fit the padded image.</exception>
    public void Forward(ReadOnlySpan<float> input, int n, int height, int width, Span<float> output, Span<float> workspace)
    {
        int outH = OutputSize(height), outW = OutputSize(width);
        if (n < 0 || height < 1 || width < 1 || outH < 1 || outW < 1)
        {
            throw new ArgumentException($"Single-channel convolution: images {height}x{width} with pad {Pad} leave no {FilterSize}x{FilterSize} position{(Pool ? " pair" : "")} (n = {n}).");
        }

        if (input.Length < (long)n * height * width || output.Length < (long)n * outH * outW * FilterCount
            || workspace.Length < WorkspaceLength(n, height, width))
        {
            throw new ArgumentException(
                $"Single-channel convolution: input ({n}, {height}, {width}), output ({n}, {outH}, {outW}, {FilterCount}) and {WorkspaceLength(n, height, width)} workspace floats needed; got {input.Length}, {output.Length}, {workspace.Length}.");
        }

        if (n == 0)
        {
            return;
        }

        fixed (float* pi = input)
        fixed (float* po = output)
        fixed (float* pw = workspace)
        fixed (float* pk = _weights)
        fixed (float* pb = _bias)
        {
            var job = new Job
            {
                Input = pi, Output = po, Workspace = pw, Weights = pk, Bias = pb, N = n, Height = height, Width = width,
                F = FilterSize, FN = FilterCount, Pad = Pad, Relu = Relu, Pool = Pool,
                ConvH = ConvolutionSize(height), ConvW = ConvolutionSize(width), OutH = outH, OutW = outW,
                PaddedW = PaddedWidth(width), PaddedLength = PaddedLength(height, width),
            };
            WorkerPool.Run(&RunLane, &job, Math.Max(1, Math.Min(n, Environment.ProcessorCount)));
        }
    }

    private struct Job
    {
        public float* Input, Output, Workspace, Weights, Bias;
        public int N, Height, Width, F, FN, Pad, ConvH, ConvW, OutH, OutW, PaddedW, PaddedLength;
        public bool Relu, Pool;
        public int Next;
    }

    private static void RunLane(void* state, int lane)
    {
        var job = (Job*)state;
        float* padded = job->Workspace + (long)lane * job->PaddedLength;
        new Span<float>(padded, job->PaddedLength).Clear();
        int image;
        while ((image = Interlocked.Increment(ref job->Next) - 1) < job->N)
        {
            // Only the interior is rewritten: the zero border stays from the first clear.
            float* src = job->Input + (long)image * job->Height * job->Width;
            for (int y = 0; y < job->Height; y++)
            {
                new ReadOnlySpan<float>(src + (long)y * job->Width, job->Width).CopyTo(new Span<float>(padded + (long)(y + job->Pad) * job->PaddedW + job->Pad, job->Width));
            }

            RunImage(job, padded, job->Output + (long)image * job->OutH * job->OutW * job->FN);
        }
    }

    [SkipLocalsInit]
    private static void RunImage(Job* job, float* padded, float* output)
    {
        int groups = (job->FN + Group - 1) / Group;
        int taps = job->F * job->F;
        float* tile = stackalloc float[2 * NarrowStripWidth * Group];
        for (int g = 0; g < groups; g++)
        {
            float* w = job->Weights + (long)g * taps * Group;
            var bias0 = Vector512.Load(job->Bias + g * Group);
            var bias1 = Vector512.Load(job->Bias + g * Group + Lanes);
            int width = Math.Min(Group, job->FN - g * Group);
            // Row pairs: both rows of a pooling window, or two plain output rows (the second dropped past the edge).
            int rowLimit = job->Pool ? job->OutH * 2 : job->ConvH;
            int colLimit = job->Pool ? job->OutW * 2 : job->ConvW;
            bool narrow = width <= Lanes;
            int stripWidth = narrow ? NarrowStripWidth : StripWidth;
            for (int oy = 0; oy < rowLimit; oy += 2)
            {
                int ox = 0;
                if (job->Pool && !narrow)
                {
                    // Whole 2 x 6 strips keep bias, ReLU and pooling in registers; the last columns take the general path.
                    float* o = output + (long)oy / 2 * job->OutW * job->FN + g * Group;
                    for (; ox + PooledStripWidth <= colLimit; ox += PooledStripWidth)
                    {
                        PooledStrip(padded + (long)oy * job->PaddedW + ox, job->PaddedW, w, job->F, bias0, bias1, job->Relu, o + (long)ox / 2 * job->FN, job->FN, width - Lanes);
                    }
                }

                for (; ox < colLimit; ox += stripWidth)
                {
                    if (narrow)
                    {
                        NarrowStrip(padded + (long)oy * job->PaddedW + ox, job->PaddedW, w, job->F, tile);
                    }
                    else
                    {
                        Strip(padded + (long)oy * job->PaddedW + ox, job->PaddedW, w, job->F, tile);
                    }

                    Finish(job, tile, stripWidth, bias0, bias1, output, oy, ox, g * Group, width, colLimit);
                }
            }
        }
    }

    /// <summary>The 2 x 4 output pixels whose top-left input is <paramref name="x"/>, 32 filters each, into <paramref name="tile"/> [pixel][32].</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Strip(float* x, int stride, float* w, int f, float* tile)
    {
        var a00 = Vector512<float>.Zero; var a01 = Vector512<float>.Zero;
        var a10 = Vector512<float>.Zero; var a11 = Vector512<float>.Zero;
        var a20 = Vector512<float>.Zero; var a21 = Vector512<float>.Zero;
        var a30 = Vector512<float>.Zero; var a31 = Vector512<float>.Zero;
        var b00 = Vector512<float>.Zero; var b01 = Vector512<float>.Zero;
        var b10 = Vector512<float>.Zero; var b11 = Vector512<float>.Zero;
        var b20 = Vector512<float>.Zero; var b21 = Vector512<float>.Zero;
        var b30 = Vector512<float>.Zero; var b31 = Vector512<float>.Zero;
        for (int ky = 0; ky < f; ky++)
        {
            float* r0 = x + (long)ky * stride;
            float* r1 = r0 + stride;
            for (int kx = 0; kx < f; kx++)
            {
                var w0 = Vector512.Load(w);
                var w1 = Vector512.Load(w + Lanes);
                w += Group;
                var v = Vector512.Create(r0[kx]);
                a00 = Vector512.FusedMultiplyAdd(v, w0, a00); a01 = Vector512.FusedMultiplyAdd(v, w1, a01);
                v = Vector512.Create(r0[kx + 1]);
                a10 = Vector512.FusedMultiplyAdd(v, w0, a10); a11 = Vector512.FusedMultiplyAdd(v, w1, a11);
                v = Vector512.Create(r0[kx + 2]);
                a20 = Vector512.FusedMultiplyAdd(v, w0, a20); a21 = Vector512.FusedMultiplyAdd(v, w1, a21);
                v = Vector512.Create(r0[kx + 3]);
                a30 = Vector512.FusedMultiplyAdd(v, w0, a30); a31 = Vector512.FusedMultiplyAdd(v, w1, a31);
                v = Vector512.Create(r1[kx]);
                b00 = Vector512.FusedMultiplyAdd(v, w0, b00); b01 = Vector512.FusedMultiplyAdd(v, w1, b01);
                v = Vector512.Create(r1[kx + 1]);
                b10 = Vector512.FusedMultiplyAdd(v, w0, b10); b11 = Vector512.FusedMultiplyAdd(v, w1, b11);
                v = Vector512.Create(r1[kx + 2]);
                b20 = Vector512.FusedMultiplyAdd(v, w0, b20); b21 = Vector512.FusedMultiplyAdd(v, w1, b21);
                v = Vector512.Create(r1[kx + 3]);
                b30 = Vector512.FusedMultiplyAdd(v, w0, b30); b31 = Vector512.FusedMultiplyAdd(v, w1, b31);
            }
        }

        a00.Store(tile); a01.Store(tile + 16); a10.Store(tile + 32); a11.Store(tile + 48);
        a20.Store(tile + 64); a21.Store(tile + 80); a30.Store(tile + 96); a31.Store(tile + 112);
        b00.Store(tile + 128); b01.Store(tile + 144); b10.Store(tile + 160); b11.Store(tile + 176);
        b20.Store(tile + 192); b21.Store(tile + 208); b30.Store(tile + 224); b31.Store(tile + 240);
    }

    /// <summary>
    /// The 2 x 6 output pixels whose top-left input is <paramref name="x"/> for 32 filters (24 accumulators: AVX-512
    /// has 32 registers), then bias, ReLU and the three 2x2 pooling windows in registers, stored straight to
    /// <paramref name="output"/> (pooled pixels <paramref name="pixelStride"/> floats apart; the second vector's first
    /// <paramref name="highWidth"/> filters). The same operations in the same order as <see cref="Strip"/> + <see cref="Finish"/>.
    /// </summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PooledStrip(float* x, int stride, float* w, int f, Vector512<float> bias0, Vector512<float> bias1, bool relu, float* output, int pixelStride, int highWidth)
    {
        var a00 = Vector512<float>.Zero; var a01 = Vector512<float>.Zero;
        var a10 = Vector512<float>.Zero; var a11 = Vector512<float>.Zero;
        var a20 = Vector512<float>.Zero; var a21 = Vector512<float>.Zero;
        var a30 = Vector512<float>.Zero; var a31 = Vector512<float>.Zero;
        var a40 = Vector512<float>.Zero; var a41 = Vector512<float>.Zero;
        var a50 = Vector512<float>.Zero; var a51 = Vector512<float>.Zero;
        var b00 = Vector512<float>.Zero; var b01 = Vector512<float>.Zero;
        var b10 = Vector512<float>.Zero; var b11 = Vector512<float>.Zero;
        var b20 = Vector512<float>.Zero; var b21 = Vector512<float>.Zero;
        var b30 = Vector512<float>.Zero; var b31 = Vector512<float>.Zero;
        var b40 = Vector512<float>.Zero; var b41 = Vector512<float>.Zero;
        var b50 = Vector512<float>.Zero; var b51 = Vector512<float>.Zero;
        for (int ky = 0; ky < f; ky++)
        {
            float* r0 = x + (long)ky * stride;
            float* r1 = r0 + stride;
            for (int kx = 0; kx < f; kx++)
            {
                var w0 = Vector512.Load(w);
                var w1 = Vector512.Load(w + Lanes);
                w += Group;
                var v = Vector512.Create(r0[kx]);
                a00 = Vector512.FusedMultiplyAdd(v, w0, a00); a01 = Vector512.FusedMultiplyAdd(v, w1, a01);
                v = Vector512.Create(r0[kx + 1]);
                a10 = Vector512.FusedMultiplyAdd(v, w0, a10); a11 = Vector512.FusedMultiplyAdd(v, w1, a11);
                v = Vector512.Create(r0[kx + 2]);
                a20 = Vector512.FusedMultiplyAdd(v, w0, a20); a21 = Vector512.FusedMultiplyAdd(v, w1, a21);
                v = Vector512.Create(r0[kx + 3]);
                a30 = Vector512.FusedMultiplyAdd(v, w0, a30); a31 = Vector512.FusedMultiplyAdd(v, w1, a31);
                v = Vector512.Create(r0[kx + 4]);
                a40 = Vector512.FusedMultiplyAdd(v, w0, a40); a41 = Vector512.FusedMultiplyAdd(v, w1, a41);
                v = Vector512.Create(r0[kx + 5]);
                a50 = Vector512.FusedMultiplyAdd(v, w0, a50); a51 = Vector512.FusedMultiplyAdd(v, w1, a51);
                v = Vector512.Create(r1[kx]);
                b00 = Vector512.FusedMultiplyAdd(v, w0, b00); b01 = Vector512.FusedMultiplyAdd(v, w1, b01);
                v = Vector512.Create(r1[kx + 1]);
                b10 = Vector512.FusedMultiplyAdd(v, w0, b10); b11 = Vector512.FusedMultiplyAdd(v, w1, b11);
                v = Vector512.Create(r1[kx + 2]);
                b20 = Vector512.FusedMultiplyAdd(v, w0, b20); b21 = Vector512.FusedMultiplyAdd(v, w1, b21);
                v = Vector512.Create(r1[kx + 3]);
                b30 = Vector512.FusedMultiplyAdd(v, w0, b30); b31 = Vector512.FusedMultiplyAdd(v, w1, b31);
                v = Vector512.Create(r1[kx + 4]);
                b40 = Vector512.FusedMultiplyAdd(v, w0, b40); b41 = Vector512.FusedMultiplyAdd(v, w1, b41);
                v = Vector512.Create(r1[kx + 5]);
                b50 = Vector512.FusedMultiplyAdd(v, w0, b50); b51 = Vector512.FusedMultiplyAdd(v, w1, b51);
            }
        }

        var mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(highWidth)).AsSingle();
        PoolStore(a00, a10, b00, b10, bias0, relu, output, Vector512<float>.AllBitsSet);
        PoolStore(a01, a11, b01, b11, bias1, relu, output + Lanes, mask);
        PoolStore(a20, a30, b20, b30, bias0, relu, output + pixelStride, Vector512<float>.AllBitsSet);
        PoolStore(a21, a31, b21, b31, bias1, relu, output + pixelStride + Lanes, mask);
        PoolStore(a40, a50, b40, b50, bias0, relu, output + 2 * pixelStride, Vector512<float>.AllBitsSet);
        PoolStore(a41, a51, b41, b51, bias1, relu, output + 2 * pixelStride + Lanes, mask);
    }

    /// <summary>One pooling window of 16 filters: bias, optional ReLU (Max keeps NaN), then the max of the four, as <see cref="Finish"/> does.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PoolStore(Vector512<float> p00, Vector512<float> p01, Vector512<float> p10, Vector512<float> p11, Vector512<float> bias, bool relu, float* destination, Vector512<float> mask)
    {
        p00 += bias; p01 += bias; p10 += bias; p11 += bias;
        if (relu)
        {
            p00 = Vector512.Max(p00, Vector512<float>.Zero);
            p01 = Vector512.Max(p01, Vector512<float>.Zero);
            p10 = Vector512.Max(p10, Vector512<float>.Zero);
            p11 = Vector512.Max(p11, Vector512<float>.Zero);
        }

        var m = Vector512.Max(Vector512.Max(p00, p01), Vector512.Max(p10, p11));
        System.Runtime.Intrinsics.X86.Avx512F.MaskStore(destination, mask, m);
    }

    /// <summary>
    /// The 2 x 8 output pixels whose top-left input is <paramref name="x"/>, the first 16 filters of the group, into
    /// <paramref name="tile"/> [pixel][32] (the second halves are left unwritten and never stored).
    /// </summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NarrowStrip(float* x, int stride, float* w, int f, float* tile)
    {
        var a0 = Vector512<float>.Zero; var a1 = Vector512<float>.Zero; var a2 = Vector512<float>.Zero; var a3 = Vector512<float>.Zero;
        var a4 = Vector512<float>.Zero; var a5 = Vector512<float>.Zero; var a6 = Vector512<float>.Zero; var a7 = Vector512<float>.Zero;
        var b0 = Vector512<float>.Zero; var b1 = Vector512<float>.Zero; var b2 = Vector512<float>.Zero; var b3 = Vector512<float>.Zero;
        var b4 = Vector512<float>.Zero; var b5 = Vector512<float>.Zero; var b6 = Vector512<float>.Zero; var b7 = Vector512<float>.Zero;
        for (int ky = 0; ky < f; ky++)
        {
            float* r0 = x + (long)ky * stride;
            float* r1 = r0 + stride;
            for (int kx = 0; kx < f; kx++)
            {
                var v = Vector512.Load(w);
                w += Group;
                a0 = Vector512.FusedMultiplyAdd(Vector512.Create(r0[kx]), v, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.Create(r0[kx + 1]), v, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.Create(r0[kx + 2]), v, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.Create(r0[kx + 3]), v, a3);
                a4 = Vector512.FusedMultiplyAdd(Vector512.Create(r0[kx + 4]), v, a4);
                a5 = Vector512.FusedMultiplyAdd(Vector512.Create(r0[kx + 5]), v, a5);
                a6 = Vector512.FusedMultiplyAdd(Vector512.Create(r0[kx + 6]), v, a6);
                a7 = Vector512.FusedMultiplyAdd(Vector512.Create(r0[kx + 7]), v, a7);
                b0 = Vector512.FusedMultiplyAdd(Vector512.Create(r1[kx]), v, b0);
                b1 = Vector512.FusedMultiplyAdd(Vector512.Create(r1[kx + 1]), v, b1);
                b2 = Vector512.FusedMultiplyAdd(Vector512.Create(r1[kx + 2]), v, b2);
                b3 = Vector512.FusedMultiplyAdd(Vector512.Create(r1[kx + 3]), v, b3);
                b4 = Vector512.FusedMultiplyAdd(Vector512.Create(r1[kx + 4]), v, b4);
                b5 = Vector512.FusedMultiplyAdd(Vector512.Create(r1[kx + 5]), v, b5);
                b6 = Vector512.FusedMultiplyAdd(Vector512.Create(r1[kx + 6]), v, b6);
                b7 = Vector512.FusedMultiplyAdd(Vector512.Create(r1[kx + 7]), v, b7);
            }
        }

        a0.Store(tile); a1.Store(tile + 32); a2.Store(tile + 64); a3.Store(tile + 96);
        a4.Store(tile + 128); a5.Store(tile + 160); a6.Store(tile + 192); a7.Store(tile + 224);
        b0.Store(tile + 256); b1.Store(tile + 288); b2.Store(tile + 320); b3.Store(tile + 352);
        b4.Store(tile + 384); b5.Store(tile + 416); b6.Store(tile + 448); b7.Store(tile + 480);
    }

    /// <summary>Bias, ReLU, pooling, and the store of the strip's valid pixels and filters (tile [row·stripWidth + column][32]).</summary>
    private static void Finish(Job* job, float* tile, int stripWidth, Vector512<float> bias0, Vector512<float> bias1, float* output, int oy, int ox, int f0, int width, int colLimit)
    {
        int fn = job->FN;
        for (int p = 0; p < 2 * stripWidth; p++)
        {
            var lo = Vector512.Load(tile + p * Group) + bias0;
            var hi = Vector512.Load(tile + p * Group + Lanes) + bias1;
            if (job->Relu)
            {
                // Max(x, 0) keeps NaN, as TensorPrimitives.Max (the Relu layer) does.
                lo = Vector512.Max(lo, Vector512<float>.Zero);
                hi = Vector512.Max(hi, Vector512<float>.Zero);
            }

            lo.Store(tile + p * Group);
            hi.Store(tile + p * Group + Lanes);
        }

        if (job->Pool)
        {
            for (int j = 0; j < stripWidth; j += 2)
            {
                int px = (ox + j) / 2;
                if (ox + j + 1 >= colLimit)
                {
                    break;
                }

                float* o = output + (((long)oy / 2 * job->OutW) + px) * fn + f0;
                for (int h = 0; h < Group; h += Lanes)
                {
                    var m = Vector512.Max(
                        Vector512.Max(Vector512.Load(tile + j * Group + h), Vector512.Load(tile + (j + 1) * Group + h)),
                        Vector512.Max(Vector512.Load(tile + (stripWidth + j) * Group + h), Vector512.Load(tile + (stripWidth + j + 1) * Group + h)));
                    Store(m, o + h, width - h);
                }
            }

            return;
        }

        for (int r = 0; r < 2 && oy + r < job->ConvH; r++)
        {
            for (int j = 0; j < stripWidth && ox + j < job->ConvW; j++)
            {
                float* o = output + (((long)(oy + r) * job->OutW) + ox + j) * fn + f0;
                Store(Vector512.Load(tile + (r * stripWidth + j) * Group), o, width);
                Store(Vector512.Load(tile + (r * stripWidth + j) * Group + Lanes), o + Lanes, width - Lanes);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector512<float> value, float* destination, int width)
    {
        if (width >= Lanes)
        {
            value.Store(destination);
        }
        else if (width > 0)
        {
            var mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(width)).AsSingle();
            System.Runtime.Intrinsics.X86.Avx512F.MaskStore(destination, mask, value);
        }
    }
}
