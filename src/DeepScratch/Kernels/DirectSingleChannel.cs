using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepScratch.Kernels;

/// <summary>
/// The training Convolution's one-channel kernels (C = 1, stride 1, any filter size and padding: SimpleConvNet's
/// 30 filters 5x5, DeepConvNet's conv1): a direct convolution writing (N, FN, out_h, out_w) planes with the bias
/// added, and dW as one batch-level reduction. Each image is copied into a zero-padded buffer of row length
/// Wp = W + 2·pad and its rows are treated as one flat line: output position p = i·Wp + j reads x[p + ky·Wp + kx], so
/// every tap is a shifted vector load and no im2col is built. The flat line also holds Wp − out_w wrapped positions
/// per row, computed and dropped (forward) or multiplied by a zero dout (dW). AVX-512 + FMA only
/// (<see cref="IsSupported"/>); the layer keeps the columns path elsewhere.
/// </summary>
/// <remarks>
/// Forward sums the FH·FW products of each output in (ky, kx) order by FMA from zero, then adds the bias, so a NaN or ∞
/// pixel or filter reaches exactly the outputs whose window (with the padding's zeros) holds it, as the book's im2col
/// product does. dW's wrapped positions multiply a zero dout by real pixels: a NaN/∞ pixel there would give NaN where
/// the book's sum has nothing, so <see cref="FilterGradient"/> is only for images the caller checked are finite.
/// dW's order is fixed: <see cref="GradientGroups"/> groups of consecutive images, each summed in 16 lanes over its
/// images, lanes then groups added in order, so the result does not depend on the thread count.
/// </remarks>
internal static unsafe class DirectSingleChannel
{
    /// <summary>Whether the kernels run here: AVX-512 with FMA.</summary>
    public static bool IsSupported => WinogradConvolution.IsSupported;

    /// <summary>Groups of consecutive images whose dW is summed separately (on any core), then added in order.</summary>
    public const int GradientGroups = 4;

    private const int Lanes = 16;

    /// <summary>Flat output positions per forward tile: four vectors.</summary>
    private const int Block = 4 * Lanes;

    /// <summary>Filters per tile (forward and dW): 6 x 4 = 24 of the 32 vector registers accumulate.</summary>
    private const int FilterBlock = 6;

    /// <summary>Taps per dW tile.</summary>
    private const int TapBlock = 4;

    /// <summary>The sizes of one call, and the flat-line lengths they give.</summary>
    internal readonly struct Shape
    {
        public Shape(int n, int filterCount, int height, int width, int filterH, int filterW, int pad)
        {
            (N, FN, H, W, FH, FW, Pad) = (n, filterCount, height, width, filterH, filterW, pad);
            PaddedW = width + 2 * pad;
            OutH = height + 2 * pad - filterH + 1;
            OutW = PaddedW - filterW + 1;
            int flat = (OutH - 1) * PaddedW + OutW;
            Computed = (flat + Block - 1) / Block * Block;
            PaddedLength = Math.Max((height + 2 * pad) * PaddedW, Computed + (filterH - 1) * PaddedW + filterW - 1);
            Filters = (filterCount + FilterBlock - 1) / FilterBlock * FilterBlock;
            Taps = filterH * filterW;
            TapsPadded = (Taps + TapBlock - 1) / TapBlock * TapBlock;
        }

        public int N { get; }
        public int FN { get; }
        public int H { get; }
        public int W { get; }
        public int FH { get; }
        public int FW { get; }
        public int Pad { get; }
        public int PaddedW { get; }
        public int OutH { get; }
        public int OutW { get; }

        /// <summary>Flat positions computed per image: the last output's index + 1, rounded up to a whole tile.</summary>
        public int Computed { get; }

        /// <summary>The padded image buffer, long enough for every tap's read of the last tile.</summary>
        public int PaddedLength { get; }

        /// <summary>FN rounded up to whole filter tiles.</summary>
        public int Filters { get; }

        public int Taps { get; }

        public int TapsPadded { get; }

        /// <summary>Floats per worker of <see cref="Forward"/>'s workspace: the padded image and the tile's planes.</summary>
        public int ForwardLaneLength => PaddedLength + Filters * Computed;

        /// <summary>Floats per group of <see cref="FilterGradient"/>'s workspace: padded image, dout planes, accumulators, sums.</summary>
        public int GradientGroupLength => PaddedLength + Filters * Computed + Filters * TapsPadded * (Lanes + 1);

        /// <summary>Where a group's sums [f][t] (padded taps) start in its workspace.</summary>
        public int SumsOffset => PaddedLength + Filters * Computed + Filters * TapsPadded * Lanes;
    }

    /// <summary>Floats of workspace <see cref="Forward"/> needs.</summary>
    public static int ForwardWorkspaceLength(in Shape s) => checked(Workers(s.N) * s.ForwardLaneLength);

    /// <summary>Floats of workspace <see cref="FilterGradient"/> needs.</summary>
    public static int GradientWorkspaceLength(in Shape s) => checked(GradientGroups * s.GradientGroupLength);

    private static int Workers(int n) => Math.Max(1, Math.Min(n, Environment.ProcessorCount));

    /// <summary>
    /// y (N, FN, out_h, out_w) = conv(x (N, 1, H, W), w (FN, 1, FH, FW), pad, stride 1) + b, parallel over the images.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, in Shape s, Span<float> y, Span<float> workspace)
    {
        if (x.Length < (long)s.N * s.H * s.W || w.Length != s.FN * s.Taps || b.Length != s.FN
            || y.Length < (long)s.N * s.FN * s.OutH * s.OutW || workspace.Length < ForwardWorkspaceLength(s) || s.OutH < 1 || s.OutW < 1)
        {
            throw new ArgumentException("Direct one-channel convolution: spans do not match the shape.");
        }

        if (s.N == 0)
        {
            return;
        }

        // Weights [tile][tap][6 filters], zero past FN (those planes are computed and never stored).
        var arranged = new float[s.Filters * s.Taps];
        for (int f = 0; f < s.FN; f++)
        {
            for (int t = 0; t < s.Taps; t++)
            {
                arranged[((f / FilterBlock) * s.Taps + t) * FilterBlock + f % FilterBlock] = w[f * s.Taps + t];
            }
        }

        var offsets = Offsets(s);
        fixed (float* px = x, pw = arranged, pb = b, py = y, pws = workspace)
        fixed (int* po = offsets)
        {
            var job = new Job { X = px, W = pw, B = pb, Y = py, Workspace = pws, Offsets = po, Shape = s };
            WorkerPool.Run(&ForwardLane, &job, Workers(s.N));
        }
    }

    /// <summary>
    /// dW (FN, 1, FH, FW) = Σ_n Σ_(i,j) dout[n, f, i, j] · x_padded[n, i + ky, j + kx] in a fixed order (see remarks).
    /// The caller checks that x is all finite (the wrapped positions read real pixels).
    /// </summary>
    public static void FilterGradient(ReadOnlySpan<float> x, ReadOnlySpan<float> dout, in Shape s, Span<float> dw, Span<float> workspace)
    {
        if (x.Length < (long)s.N * s.H * s.W || dout.Length < (long)s.N * s.FN * s.OutH * s.OutW || dw.Length != s.FN * s.Taps
            || workspace.Length < GradientWorkspaceLength(s) || s.OutH < 1 || s.OutW < 1)
        {
            throw new ArgumentException("Direct one-channel dW: spans do not match the shape.");
        }

        var offsets = Offsets(s);
        fixed (float* px = x, pd = dout, pws = workspace)
        fixed (int* po = offsets)
        {
            var job = new Job { X = px, Y = pd, Workspace = pws, Offsets = po, Shape = s };
            WorkerPool.Run(&GradientGroup, &job, GradientGroups);
        }

        int length = s.GradientGroupLength;
        for (int f = 0; f < s.FN; f++)
        {
            for (int t = 0; t < s.Taps; t++)
            {
                float total = 0;
                for (int group = 0; group < GradientGroups; group++)
                {
                    total += workspace[group * length + s.SumsOffset + f * s.TapsPadded + t];
                }

                dw[f * s.Taps + t] = total;
            }
        }
    }

    /// <summary>Flat offsets ky·Wp + kx of the taps, padded with zeros (reads of real memory, results dropped) to whole dW tiles.</summary>
    private static int[] Offsets(in Shape s)
    {
        var offsets = new int[s.TapsPadded];
        for (int ky = 0; ky < s.FH; ky++)
        {
            for (int kx = 0; kx < s.FW; kx++)
            {
                offsets[ky * s.FW + kx] = ky * s.PaddedW + kx;
            }
        }

        return offsets;
    }

    private struct Job
    {
        public float* X, W, B, Y, Workspace;
        public int* Offsets;
        public Shape Shape;
        public int Next;
    }

    /// <summary>Copies image <paramref name="image"/> into the padded buffer's interior (its zero border stays from the first clear).</summary>
    private static void CopyPadded(Job* job, int image, float* padded)
    {
        ref readonly var s = ref job->Shape;
        float* src = job->X + (long)image * s.H * s.W;
        for (int row = 0; row < s.H; row++)
        {
            new ReadOnlySpan<float>(src + (long)row * s.W, s.W).CopyTo(new Span<float>(padded + (long)(row + s.Pad) * s.PaddedW + s.Pad, s.W));
        }
    }

    private static void ForwardLane(void* state, int lane)
    {
        var job = (Job*)state;
        var s = job->Shape;
        float* padded = job->Workspace + (long)lane * s.ForwardLaneLength;
        float* planes = padded + s.PaddedLength;
        new Span<float>(padded, s.PaddedLength).Clear();
        int image;
        while ((image = Interlocked.Increment(ref job->Next) - 1) < s.N)
        {
            CopyPadded(job, image, padded);
            for (int tile = 0; tile < s.Filters / FilterBlock; tile++)
            {
                for (int p = 0; p < s.Computed; p += Block)
                {
                    ForwardTile(padded + p, job->W + (long)tile * s.Taps * FilterBlock, job->Offsets, s.Taps,
                        planes + (long)tile * FilterBlock * s.Computed + p, s.Computed);
                }
            }

            // Keep the out_w real positions of each flat row, plus the bias.
            float* y = job->Y + (long)image * s.FN * s.OutH * s.OutW;
            for (int f = 0; f < s.FN; f++)
            {
                float bias = job->B[f];
                for (int i = 0; i < s.OutH; i++)
                {
                    TensorPrimitives.Add(new ReadOnlySpan<float>(planes + (long)f * s.Computed + (long)i * s.PaddedW, s.OutW), bias,
                        new Span<float>(y + ((long)f * s.OutH + i) * s.OutW, s.OutW));
                }
            }
        }
    }

    private static void GradientGroup(void* state, int group)
    {
        var job = (Job*)state;
        var s = job->Shape;
        float* padded = job->Workspace + (long)group * s.GradientGroupLength;
        float* planes = padded + s.PaddedLength;
        float* acc = planes + (long)s.Filters * s.Computed;
        // The dout planes' wrapped positions, tail and padded filters stay zero: each image writes only real positions.
        new Span<float>(padded, s.GradientGroupLength).Clear();
        int perGroup = (s.N + GradientGroups - 1) / GradientGroups;
        int first = group * perGroup, last = Math.Min(s.N, first + perGroup);
        for (int image = first; image < last; image++)
        {
            CopyPadded(job, image, padded);
            float* dout = job->Y + (long)image * s.FN * s.OutH * s.OutW;
            for (int f = 0; f < s.FN; f++)
            {
                for (int i = 0; i < s.OutH; i++)
                {
                    new ReadOnlySpan<float>(dout + ((long)f * s.OutH + i) * s.OutW, s.OutW)
                        .CopyTo(new Span<float>(planes + (long)f * s.Computed + (long)i * s.PaddedW, s.OutW));
                }
            }

            for (int ft = 0; ft < s.Filters / FilterBlock; ft++)
            {
                for (int tt = 0; tt < s.TapsPadded / TapBlock; tt++)
                {
                    GradientTile(planes + (long)ft * FilterBlock * s.Computed, s.Computed, padded, job->Offsets + tt * TapBlock,
                        s.Computed / Lanes, acc + ((long)ft * (s.TapsPadded / TapBlock) + tt) * FilterBlock * TapBlock * Lanes);
                }
            }
        }

        // Lanes summed in order into the group's sums [f][t] (padded taps).
        float* sums = padded + s.SumsOffset;
        for (int ft = 0; ft < s.Filters / FilterBlock; ft++)
        {
            for (int tt = 0; tt < s.TapsPadded / TapBlock; tt++)
            {
                float* tile = acc + ((long)ft * (s.TapsPadded / TapBlock) + tt) * FilterBlock * TapBlock * Lanes;
                for (int k = 0; k < FilterBlock * TapBlock; k++)
                {
                    sums[(ft * FilterBlock + k / TapBlock) * s.TapsPadded + tt * TapBlock + k % TapBlock] = Vector512.Sum(Vector512.Load(tile + k * Lanes));
                }
            }
        }
    }

    /// <summary>Six filters x 64 flat positions: y[f][p] = Σ_t w[t][f]·x[p + offset[t]], FMA from zero in tap order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardTile(float* x, float* w, int* offsets, int taps, float* planes, int planeLength)
    {
        var a00 = Vector512<float>.Zero; var a01 = Vector512<float>.Zero; var a02 = Vector512<float>.Zero; var a03 = Vector512<float>.Zero;
        var a10 = Vector512<float>.Zero; var a11 = Vector512<float>.Zero; var a12 = Vector512<float>.Zero; var a13 = Vector512<float>.Zero;
        var a20 = Vector512<float>.Zero; var a21 = Vector512<float>.Zero; var a22 = Vector512<float>.Zero; var a23 = Vector512<float>.Zero;
        var a30 = Vector512<float>.Zero; var a31 = Vector512<float>.Zero; var a32 = Vector512<float>.Zero; var a33 = Vector512<float>.Zero;
        var a40 = Vector512<float>.Zero; var a41 = Vector512<float>.Zero; var a42 = Vector512<float>.Zero; var a43 = Vector512<float>.Zero;
        var a50 = Vector512<float>.Zero; var a51 = Vector512<float>.Zero; var a52 = Vector512<float>.Zero; var a53 = Vector512<float>.Zero;
        for (int t = 0; t < taps; t++)
        {
            float* p = x + offsets[t];
            var x0 = Vector512.Load(p + 0); var x1 = Vector512.Load(p + 16); var x2 = Vector512.Load(p + 32); var x3 = Vector512.Load(p + 48);
            float* wt = w + t * 6;
            var w0 = Vector512.Create(wt[0]);
            a00 = Avx512F.FusedMultiplyAdd(x0, w0, a00); a01 = Avx512F.FusedMultiplyAdd(x1, w0, a01); a02 = Avx512F.FusedMultiplyAdd(x2, w0, a02); a03 = Avx512F.FusedMultiplyAdd(x3, w0, a03);
            var w1 = Vector512.Create(wt[1]);
            a10 = Avx512F.FusedMultiplyAdd(x0, w1, a10); a11 = Avx512F.FusedMultiplyAdd(x1, w1, a11); a12 = Avx512F.FusedMultiplyAdd(x2, w1, a12); a13 = Avx512F.FusedMultiplyAdd(x3, w1, a13);
            var w2 = Vector512.Create(wt[2]);
            a20 = Avx512F.FusedMultiplyAdd(x0, w2, a20); a21 = Avx512F.FusedMultiplyAdd(x1, w2, a21); a22 = Avx512F.FusedMultiplyAdd(x2, w2, a22); a23 = Avx512F.FusedMultiplyAdd(x3, w2, a23);
            var w3 = Vector512.Create(wt[3]);
            a30 = Avx512F.FusedMultiplyAdd(x0, w3, a30); a31 = Avx512F.FusedMultiplyAdd(x1, w3, a31); a32 = Avx512F.FusedMultiplyAdd(x2, w3, a32); a33 = Avx512F.FusedMultiplyAdd(x3, w3, a33);
            var w4 = Vector512.Create(wt[4]);
            a40 = Avx512F.FusedMultiplyAdd(x0, w4, a40); a41 = Avx512F.FusedMultiplyAdd(x1, w4, a41); a42 = Avx512F.FusedMultiplyAdd(x2, w4, a42); a43 = Avx512F.FusedMultiplyAdd(x3, w4, a43);
            var w5 = Vector512.Create(wt[5]);
            a50 = Avx512F.FusedMultiplyAdd(x0, w5, a50); a51 = Avx512F.FusedMultiplyAdd(x1, w5, a51); a52 = Avx512F.FusedMultiplyAdd(x2, w5, a52); a53 = Avx512F.FusedMultiplyAdd(x3, w5, a53);
        }

        a00.Store(planes + 0 * planeLength + 0); a01.Store(planes + 0 * planeLength + 16); a02.Store(planes + 0 * planeLength + 32); a03.Store(planes + 0 * planeLength + 48);
        a10.Store(planes + 1 * planeLength + 0); a11.Store(planes + 1 * planeLength + 16); a12.Store(planes + 1 * planeLength + 32); a13.Store(planes + 1 * planeLength + 48);
        a20.Store(planes + 2 * planeLength + 0); a21.Store(planes + 2 * planeLength + 16); a22.Store(planes + 2 * planeLength + 32); a23.Store(planes + 2 * planeLength + 48);
        a30.Store(planes + 3 * planeLength + 0); a31.Store(planes + 3 * planeLength + 16); a32.Store(planes + 3 * planeLength + 32); a33.Store(planes + 3 * planeLength + 48);
        a40.Store(planes + 4 * planeLength + 0); a41.Store(planes + 4 * planeLength + 16); a42.Store(planes + 4 * planeLength + 32); a43.Store(planes + 4 * planeLength + 48);
        a50.Store(planes + 5 * planeLength + 0); a51.Store(planes + 5 * planeLength + 16); a52.Store(planes + 5 * planeLength + 32); a53.Store(planes + 5 * planeLength + 48);
    }

    /// <summary>Six filters x four taps: acc[f][t] += Σ_v d[f][v]·x[v + offset[t]] over <paramref name="vectors"/> vectors of 16 flat positions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GradientTile(float* d, int planeLength, float* x, int* offsets, int vectors, float* acc)
    {
        var a00 = Vector512.Load(acc + 0); var a01 = Vector512.Load(acc + 16); var a02 = Vector512.Load(acc + 32); var a03 = Vector512.Load(acc + 48);
        var a10 = Vector512.Load(acc + 64); var a11 = Vector512.Load(acc + 80); var a12 = Vector512.Load(acc + 96); var a13 = Vector512.Load(acc + 112);
        var a20 = Vector512.Load(acc + 128); var a21 = Vector512.Load(acc + 144); var a22 = Vector512.Load(acc + 160); var a23 = Vector512.Load(acc + 176);
        var a30 = Vector512.Load(acc + 192); var a31 = Vector512.Load(acc + 208); var a32 = Vector512.Load(acc + 224); var a33 = Vector512.Load(acc + 240);
        var a40 = Vector512.Load(acc + 256); var a41 = Vector512.Load(acc + 272); var a42 = Vector512.Load(acc + 288); var a43 = Vector512.Load(acc + 304);
        var a50 = Vector512.Load(acc + 320); var a51 = Vector512.Load(acc + 336); var a52 = Vector512.Load(acc + 352); var a53 = Vector512.Load(acc + 368);
        int o0 = offsets[0], o1 = offsets[1], o2 = offsets[2], o3 = offsets[3];
        for (int v = 0; v < vectors; v++)
        {
            float* p = x + v * 16;
            var x0 = Vector512.Load(p + o0); var x1 = Vector512.Load(p + o1); var x2 = Vector512.Load(p + o2); var x3 = Vector512.Load(p + o3);
            float* dv = d + v * 16;
            var d0 = Vector512.Load(dv + 0 * planeLength);
            a00 = Avx512F.FusedMultiplyAdd(d0, x0, a00); a01 = Avx512F.FusedMultiplyAdd(d0, x1, a01); a02 = Avx512F.FusedMultiplyAdd(d0, x2, a02); a03 = Avx512F.FusedMultiplyAdd(d0, x3, a03);
            var d1 = Vector512.Load(dv + 1 * planeLength);
            a10 = Avx512F.FusedMultiplyAdd(d1, x0, a10); a11 = Avx512F.FusedMultiplyAdd(d1, x1, a11); a12 = Avx512F.FusedMultiplyAdd(d1, x2, a12); a13 = Avx512F.FusedMultiplyAdd(d1, x3, a13);
            var d2 = Vector512.Load(dv + 2 * planeLength);
            a20 = Avx512F.FusedMultiplyAdd(d2, x0, a20); a21 = Avx512F.FusedMultiplyAdd(d2, x1, a21); a22 = Avx512F.FusedMultiplyAdd(d2, x2, a22); a23 = Avx512F.FusedMultiplyAdd(d2, x3, a23);
            var d3 = Vector512.Load(dv + 3 * planeLength);
            a30 = Avx512F.FusedMultiplyAdd(d3, x0, a30); a31 = Avx512F.FusedMultiplyAdd(d3, x1, a31); a32 = Avx512F.FusedMultiplyAdd(d3, x2, a32); a33 = Avx512F.FusedMultiplyAdd(d3, x3, a33);
            var d4 = Vector512.Load(dv + 4 * planeLength);
            a40 = Avx512F.FusedMultiplyAdd(d4, x0, a40); a41 = Avx512F.FusedMultiplyAdd(d4, x1, a41); a42 = Avx512F.FusedMultiplyAdd(d4, x2, a42); a43 = Avx512F.FusedMultiplyAdd(d4, x3, a43);
            var d5 = Vector512.Load(dv + 5 * planeLength);
            a50 = Avx512F.FusedMultiplyAdd(d5, x0, a50); a51 = Avx512F.FusedMultiplyAdd(d5, x1, a51); a52 = Avx512F.FusedMultiplyAdd(d5, x2, a52); a53 = Avx512F.FusedMultiplyAdd(d5, x3, a53);
        }

        a00.Store(acc + 0); a01.Store(acc + 16); a02.Store(acc + 32); a03.Store(acc + 48);
        a10.Store(acc + 64); a11.Store(acc + 80); a12.Store(acc + 96); a13.Store(acc + 112);
        a20.Store(acc + 128); a21.Store(acc + 144); a22.Store(acc + 160); a23.Store(acc + 176);
        a30.Store(acc + 192); a31.Store(acc + 208); a32.Store(acc + 224); a33.Store(acc + 240);
        a40.Store(acc + 256); a41.Store(acc + 272); a42.Store(acc + 288); a43.Store(acc + 304);
        a50.Store(acc + 320); a51.Store(acc + 336); a52.Store(acc + 352); a53.Store(acc + 368);
    }
}
