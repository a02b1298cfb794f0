using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using DeepScratch.Functions;

namespace DeepScratch.Layers;

/// <summary>
/// The max pooling layer of chapter 7 (the book's <c>Pooling</c>): each channel of x (N, C, H, W) is reduced to the
/// largest value of every pool_h x pool_w window, giving (N, C, out_h, out_w). As in the book it goes through
/// <see cref="ImageColumns.Im2Col"/>, so padding reads as 0 and takes part in the maximum, and Backward routes each
/// output's gradient to the first largest value of its window (numpy's <c>argmax</c>: a NaN counts as the largest, so
/// a window holding one gives NaN, as numpy and the inference engine do), adding where windows overlap.
/// </summary>
public sealed unsafe class Pooling : ILayer, IReusesBuffers
{
    /// <summary>The largest window whose argmax is kept as a byte (its cell index, row-major in the window).</summary>
    private const int MaxCellsAsByte = 255;

    private readonly TensorBuffer _outputBuffer = new();
    private readonly TensorBuffer _dxBuffer = new();
    private int[]? _inputShape;
    private int _outH, _outW;
    // The argmax of each output: the window cell (byte) on the fast path, or the input index (int, -1 for padding) on
    // the general one; one of the two is current (_cellArgmax says which), both kept and reused from batch to batch.
    private byte[] _cells = [];
    private int[] _indices = [];
    private bool _cellArgmax;

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
    bool IReusesBuffers.ReuseBuffers { get; set; }

    private bool Reuse => ((IReusesBuffers)this).ReuseBuffers;

    /// <summary>Whether the last Forward took the compact path (for tests, which check both paths).</summary>
    internal bool LastForwardWasCompact => _cellArgmax;

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
        // maximum kept and padding read as 0, as the book's im2col + argmax does.
        int planes = n * c, outputs = planes * outH * outW;
        var output = _outputBuffer.Get([n, c, outH, outW], Reuse);
        _inputShape = x.Shape.ToArray();
        (_outH, _outW) = (outH, outW);
        if (Pad == 0 && PoolH * PoolW <= MaxCellsAsByte)
        {
            // Without padding every window lies inside the image (OutputSize checked that): no bounds tests, and the
            // argmax is the window cell, a byte. Planes run in parallel.
            if (_cells.Length < outputs)
            {
                _cells = new byte[outputs];
            }

            fixed (float* px = x.Span)
            fixed (float* po = output.Span)
            fixed (byte* pc = _cells)
            {
                var job = new Job { Input = px, Output = po, Cells = pc, H = h, W = width, OutH = outH, OutW = outW,
                    PoolH = PoolH, PoolW = PoolW, Stride = Stride, Planes = planes };
                RunPlanes(&MaxBlock, &job, planes, h * width);
            }

            _cellArgmax = true;
            return output;
        }

        if (_indices.Length < outputs)
        {
            _indices = new int[outputs];
        }

        _cellArgmax = false;
        MaxPadded(x.Span, output.Span, _indices, planes, h, width, outH, outW);
        return output;
    }

    /// <summary>
    /// Max pooling with padding (or windows too large for a byte argmax): argmax holds the input index of the maximum,
    /// or -1 when a padding 0 won (its gradient is dropped, as col2im drops the padding).
    /// </summary>
    private void MaxPadded(ReadOnlySpan<float> input, Span<float> o, int[] argmax, int planes, int h, int width, int outH, int outW)
    {
        int planeIn = h * width, planeOut = outH * outW;
        for (int plane = 0; plane < planes; plane++)
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
                            if (first || Beats(value, best))
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
    }

    /// <summary>Splits the planes into blocks of about 16K input values and runs <paramref name="body"/> on the worker pool when the images hold 2 MB or more (DeepConvNet's last pools run on one thread).</summary>
    private static void RunPlanes(delegate*<void*, int, void> body, Job* job, int planes, int planeLength)
    {
        int perBlock = Math.Max(1, (1 << 14) / Math.Max(planeLength, 1));
        job->PlanesPerBlock = perBlock;
        int blocks = (planes + perBlock - 1) / perBlock;
        if ((long)planes * planeLength < 2 * ParallelChunks.MinParallel)
        {
            for (int b = 0; b < blocks; b++)
            {
                body(job, b);
            }

            return;
        }

        Kernels.WorkerPool.Run(body, job, blocks);
    }

    /// <summary>The fast forward for one block of planes: the first maximum of each window (cells in (ky, kx) order) and its cell.</summary>
    private static void MaxBlock(void* state, int block)
    {
        var j = (Job*)state;
        int first = block * j->PlanesPerBlock, last = Math.Min(j->Planes, first + j->PlanesPerBlock);
        int h = j->H, w = j->W, outH = j->OutH, outW = j->OutW, ph = j->PoolH, pw = j->PoolW, stride = j->Stride;
        for (int plane = first; plane < last; plane++)
        {
            float* input = j->Input + (long)plane * h * w;
            float* output = j->Output + (long)plane * outH * outW;
            byte* cells = j->Cells + (long)plane * outH * outW;
            if (ph == 2 && pw == 2)
            {
                // The book's 2x2 window, unrolled: the same comparisons in the same order as the loop below.
                for (int oy = 0; oy < outH; oy++)
                {
                    float* row0 = input + oy * stride * w;
                    float* row1 = row0 + w;
                    int ox = 0;
                    if (stride == 2 && Avx2.IsSupported && outW >= 8)
                    {
                        // Eight windows at a time; a last, overlapping block covers the rest (it rewrites the same values).
                        for (; ; ox += 8)
                        {
                            ox = Math.Min(ox, outW - 8);
                            MaxPairs8(row0 + 2 * ox, row1 + 2 * ox, output + oy * outW + ox, cells + oy * outW + ox);
                            if (ox + 8 >= outW)
                            {
                                break;
                            }
                        }

                        continue;
                    }

                    for (; ox < outW; ox++)
                    {
                        int at = ox * stride;
                        float best = row0[at];
                        byte cell = 0;
                        if (Beats(row0[at + 1], best))
                        {
                            best = row0[at + 1];
                            cell = 1;
                        }

                        if (Beats(row1[at], best))
                        {
                            best = row1[at];
                            cell = 2;
                        }

                        if (Beats(row1[at + 1], best))
                        {
                            best = row1[at + 1];
                            cell = 3;
                        }

                        output[oy * outW + ox] = best;
                        cells[oy * outW + ox] = cell;
                    }
                }

                continue;
            }

            for (int oy = 0; oy < outH; oy++)
            {
                for (int ox = 0; ox < outW; ox++)
                {
                    float* start = input + oy * stride * w + ox * stride;
                    float best = start[0];
                    int cell = 0;
                    for (int ky = 0; ky < ph; ky++)
                    {
                        for (int kx = ky == 0 ? 1 : 0; kx < pw; kx++)
                        {
                            if (Beats(start[ky * w + kx], best))
                            {
                                best = start[ky * w + kx];
                                cell = ky * pw + kx;
                            }
                        }
                    }

                    output[oy * outW + ox] = best;
                    cells[oy * outW + ox] = (byte)cell;
                }
            }
        }
    }

    /// <summary>
    /// numpy's order for max and argmax: a NaN beats any number (the first NaN of a window is its maximum, as
    /// <c>np.max</c> / <c>np.argmax</c> give), else a later cell must be strictly greater (ties keep the first).
    /// </summary>
    private static bool Beats(float value, float best) => value > best || (float.IsNaN(value) && !float.IsNaN(best));

    /// <summary><see cref="Beats(float, float)"/> on eight lanes (x != x is true only for NaN).</summary>
    private static Vector256<float> Beats(Vector256<float> value, Vector256<float> best) =>
        Vector256.GreaterThan(value, best) | (~Vector256.Equals(value, value) & Vector256.Equals(best, best));

    /// <summary>
    /// Eight 2x2 stride-2 windows whose top-left cells are row0[0], row0[2], ..., row0[14]: cells de-interleaved into
    /// even and odd columns, then the scalar rule as vector selects (a cell replaces the best only when strictly
    /// greater or the first NaN, as <see cref="Beats(Vector256{float}, Vector256{float})"/>).
    /// </summary>
    private static void MaxPairs8(float* row0, float* row1, float* output, byte* cells)
    {
        var (c00, c01) = Deinterleave(Avx.LoadVector256(row0), Avx.LoadVector256(row0 + 8));
        var (c10, c11) = Deinterleave(Avx.LoadVector256(row1), Avx.LoadVector256(row1 + 8));
        var best = c00;
        var cell = Vector256<int>.Zero;
        var m = Beats(c01, best);
        best = Vector256.ConditionalSelect(m, c01, best);
        cell = Vector256.ConditionalSelect(m.AsInt32(), Vector256.Create(1), cell);
        m = Beats(c10, best);
        best = Vector256.ConditionalSelect(m, c10, best);
        cell = Vector256.ConditionalSelect(m.AsInt32(), Vector256.Create(2), cell);
        m = Beats(c11, best);
        best = Vector256.ConditionalSelect(m, c11, best);
        cell = Vector256.ConditionalSelect(m.AsInt32(), Vector256.Create(3), cell);
        best.Store(output);
        var bytes = Vector256.Narrow(Vector256.Narrow(cell, Vector256<int>.Zero).AsUInt16(), Vector256<ushort>.Zero);
        Unsafe.WriteUnaligned(cells, bytes.AsUInt64().GetElement(0));
    }

    /// <summary>
    /// The backward of eight 2x2 stride-2 windows: each cell gets 0 + g where it is the window's argmax, else 0,
    /// written as rows of 16 floats (the forward's de-interleave reversed).
    /// </summary>
    private static void RoutePairs8(float* dout, byte* cells, float* row0, float* row1)
    {
        var g = Avx.LoadVector256(dout) + Vector256<float>.Zero;
        var cell = Avx2.ConvertToVector256Int32(cells);
        var c00 = Vector256.ConditionalSelect(Vector256.Equals(cell, Vector256<int>.Zero).AsSingle(), g, Vector256<float>.Zero);
        var c01 = Vector256.ConditionalSelect(Vector256.Equals(cell, Vector256.Create(1)).AsSingle(), g, Vector256<float>.Zero);
        var c10 = Vector256.ConditionalSelect(Vector256.Equals(cell, Vector256.Create(2)).AsSingle(), g, Vector256<float>.Zero);
        var c11 = Vector256.ConditionalSelect(Vector256.Equals(cell, Vector256.Create(3)).AsSingle(), g, Vector256<float>.Zero);
        Interleave(c00, c01, row0);
        Interleave(c10, c11, row1);
    }

    /// <summary>Stores a0 b0 a1 b1 ... a7 b7 (16 floats) at <paramref name="destination"/>.</summary>
    private static void Interleave(Vector256<float> a, Vector256<float> b, float* destination)
    {
        var lo = Avx.UnpackLow(a, b);
        var hi = Avx.UnpackHigh(a, b);
        Avx.Store(destination, Avx.Permute2x128(lo, hi, 0x20));
        Avx.Store(destination + 8, Avx.Permute2x128(lo, hi, 0x31));
    }

    /// <summary>(evens, odds) of the 16 floats lo ++ hi, in order.</summary>
    private static (Vector256<float> Even, Vector256<float> Odd) Deinterleave(Vector256<float> lo, Vector256<float> hi)
    {
        // Within each 128-bit lane shufps takes (lo, lo, hi, hi); the 64-bit permute puts the lanes' halves in order.
        var even = Avx.Shuffle(lo, hi, 0b10_00_10_00);
        var odd = Avx.Shuffle(lo, hi, 0b11_01_11_01);
        return (Avx2.Permute4x64(even.AsDouble(), 0b11_01_10_00).AsSingle(), Avx2.Permute4x64(odd.AsDouble(), 0b11_01_10_00).AsSingle());
    }

    /// <summary>The fast backward for one block of planes: clear each dx plane, then add each output's gradient at its window's argmax cell.</summary>
    private static void RouteBlock(void* state, int block)
    {
        var j = (Job*)state;
        int first = block * j->PlanesPerBlock, last = Math.Min(j->Planes, first + j->PlanesPerBlock);
        int h = j->H, w = j->W, outH = j->OutH, outW = j->OutW, pw = j->PoolW, stride = j->Stride;
        for (int plane = first; plane < last; plane++)
        {
            float* dx = j->Input + (long)plane * h * w;
            float* dout = j->Output + (long)plane * outH * outW;
            byte* cells = j->Cells + (long)plane * outH * outW;
            if (pw == 2 && j->PoolH == 2 && stride == 2 && outW >= 8 && Avx2.IsSupported)
            {
                // Windows tile the image without overlap: each covered cell is written once (rows of 8 windows in
                // vector stores; narrower images measured faster with the clear + scatter below), 0 + g at the argmax
                // (exactly the plain path's 0 += g, -0 included) and 0 elsewhere; only uncovered edges are cleared.
                for (int oy = 0; oy < outH; oy++)
                {
                    float* r0 = dx + 2 * oy * w;
                    float* r1 = r0 + w;
                    int ox = 0;
                    if (Avx2.IsSupported && outW >= 8)
                    {
                        // Eight windows at a time in vector stores; the last block may overlap (pure writes, same values).
                        for (; ; ox += 8)
                        {
                            ox = Math.Min(ox, outW - 8);
                            RoutePairs8(dout + oy * outW + ox, cells + oy * outW + ox, r0 + 2 * ox, r1 + 2 * ox);
                            if (ox + 8 >= outW)
                            {
                                break;
                            }
                        }

                        ox = outW;
                    }

                    for (; ox < outW; ox++)
                    {
                        float g = 0f + dout[oy * outW + ox];
                        int cell = cells[oy * outW + ox];
                        r0[2 * ox] = cell == 0 ? g : 0f;
                        r0[2 * ox + 1] = cell == 1 ? g : 0f;
                        r1[2 * ox] = cell == 2 ? g : 0f;
                        r1[2 * ox + 1] = cell == 3 ? g : 0f;
                    }

                    // At most one uncovered column (w − 2·out_w ≤ 1): a plain store, not a Clear call per row.
                    for (int col = 2 * outW; col < w; col++)
                    {
                        r0[col] = 0f;
                        r1[col] = 0f;
                    }
                }

                new Span<float>(dx + 2 * outH * w, (h - 2 * outH) * w).Clear();
                continue;
            }

            new Span<float>(dx, h * w).Clear();
            for (int oy = 0; oy < outH; oy++)
            {
                for (int ox = 0; ox < outW; ox++)
                {
                    int cell = cells[oy * outW + ox];
                    int ky = cell / pw, kx = cell - ky * pw;
                    dx[(oy * stride + ky) * w + ox * stride + kx] += dout[oy * outW + ox];
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
        var shape = _inputShape ?? throw new InvalidOperationException("Pooling: Backward needs a Forward first.");
        int planes = shape[0] * shape[1], outputs = planes * _outH * _outW;
        if (dout.Rank != 4 || dout.Dim(0) != shape[0] || dout.Dim(1) != shape[1] || dout.Dim(2) != _outH || dout.Dim(3) != _outW)
        {
            throw new ArgumentException($"Pooling: dout must have the shape Forward gave, ({shape[0]}, {shape[1]}, {_outH}, {_outW}); got {dout.ShapeString}.", nameof(dout));
        }

        var dx = _dxBuffer.Get(shape, Reuse);
        if (_cellArgmax)
        {
            fixed (float* pd = dx.Span)
            fixed (float* pg = dout.Span)
            fixed (byte* pc = _cells)
            {
                var job = new Job { Input = pd, Output = pg, Cells = pc, H = shape[2], W = shape[3], OutH = _outH, OutW = _outW,
                    PoolH = PoolH, PoolW = PoolW, Stride = Stride, Planes = planes };
                RunPlanes(&RouteBlock, &job, planes, shape[2] * shape[3]);
            }

            return dx;
        }

        var d = dx.Span;
        d.Clear();
        var g = dout.Span;
        var argmax = _indices;
        for (int i = 0; i < outputs; i++)
        {
            if (argmax[i] >= 0)
            {
                d[argmax[i]] += g[i];
            }
        }

        return dx;
    }

    /// <summary>What a block of the fast path needs (on the caller's stack while the pool runs): forward reads Input and
    /// writes Output and Cells; backward writes dx through Input and reads dout through Output.</summary>
    private struct Job
    {
        public float* Input;
        public float* Output;
        public byte* Cells;
        public int H, W, OutH, OutW, PoolH, PoolW, Stride, Planes, PlanesPerBlock;
    }
}
