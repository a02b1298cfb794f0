using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DeepScratch.Kernels;

/// <summary>
/// A 3x3, stride-1 convolution by Winograd's minimal filtering F(m x m, 3x3), m = 2 or 4 (Lavin and Gray, "Fast
/// Algorithms for Convolutional Neural Networks", 2015), on channels-last images: Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A for each
/// m x m output tile, so each output costs (m+2)²/m² multiplications per channel and filter instead of 9 (F(2x2): 4,
/// F(4x4): 2.25). The products of the (m+2)² transformed positions are as many small GEMMs (tiles x C times C x FN) on
/// AVX-512 register tiles; the filter transform is done once here, bias and ReLU are fused into the output transform,
/// and optionally the following 2x2 stride-2 max pool too (a tile's origin is even, so each pool window lies in one tile).
/// Immutable and safe for several callers at once (each passes its own workspace).
/// </summary>
/// <remarks>
/// Exactness: the transforms round differently from a direct sum, so results agree with a direct convolution only to
/// within a few float32 ulps of Σ|w·x| for F(2x2) and about ten times that for F(4x4), whose transforms have
/// coefficients up to 8 (see the tests' error bounds). Non-finite filters are refused by <see cref="TryCreate"/> (a
/// NaN/∞ would spread to every position of the transformed filter). A tile whose result is not finite (a NaN or ∞
/// among its inputs always makes one) is recomputed by a direct convolution, so non-finite inputs give exactly the
/// NaN/∞ pattern a direct convolution gives (and, pooled, the pattern of the max pool of that).
/// </remarks>
internal sealed unsafe class WinogradConvolution
{
    /// <summary>Floats per vector.</summary>
    private const int Lanes = 16;

    /// <summary>Rows (tiles) per register tile of the 6x32 kernel; blocks are whole multiples of both kernels' rows.</summary>
    private const int RowQuantum = 12;

    /// <summary>Bytes of transformed inputs plus products one block may hold, so that both stay in the level-2 cache.</summary>
    private const int BlockBytes = 384 * 1024;

    /// <summary>G for F(2x2, 3x3), (4 x 3): interpolation points 0, 1, −1, ∞.</summary>
    private static readonly double[] G2 = [1, 0, 0, 0.5, 0.5, 0.5, 0.5, -0.5, 0.5, 0, 0, 1];

    /// <summary>G for F(4x4, 3x3), (6 x 3): interpolation points 0, 1, −1, 2, −2, ∞.</summary>
    private static readonly double[] G4 =
    [
        1 / 4.0, 0, 0,
        -1 / 6.0, -1 / 6.0, -1 / 6.0,
        -1 / 6.0, 1 / 6.0, -1 / 6.0,
        1 / 24.0, 1 / 12.0, 1 / 6.0,
        1 / 24.0, -1 / 12.0, 1 / 6.0,
        0, 0, 1,
    ];

    /// <summary>U: position ξ, channel c, filter f at [(ξ·C + c)·FNp + f]; filters past FN are zeros.</summary>
    private readonly float[] _u;

    /// <summary>Bias padded with zeros to FNp.</summary>
    private readonly float[] _bias;

    /// <summary>The filters (FN, C, 3, 3) as given, for the direct recomputation of non-finite tiles.</summary>
    private readonly float[] _filters;

    private readonly int _paddedChannels;
    private readonly int _paddedFilters;
    private readonly int _positions;
    private readonly int _blockTiles;

    private WinogradConvolution(float[] u, float[] bias, float[] filters, int filterCount, int channels, int pad, bool relu, int tileSize, bool pool)
    {
        (_u, _bias, _filters) = (u, bias, filters);
        (FilterCount, Channels, Pad, Relu, TileSize, Pool) = (filterCount, channels, pad, relu, tileSize, pool);
        _paddedChannels = Round(channels, Lanes);
        _paddedFilters = Round(filterCount, Lanes);
        _positions = (tileSize + 2) * (tileSize + 2);
        int perTile = _positions * (_paddedChannels + _paddedFilters) * sizeof(float);
        _blockTiles = Math.Max(RowQuantum, BlockBytes / perTile / RowQuantum * RowQuantum);
    }

    /// <summary>FN: the filters, and the channels of the output.</summary>
    public int FilterCount { get; }

    /// <summary>C: the channels of the input.</summary>
    public int Channels { get; }

    /// <summary>Zeros added on each side of the images, both axes.</summary>
    public int Pad { get; }

    /// <summary>Whether ReLU (max(0, x), NaN kept) follows the bias.</summary>
    public bool Relu { get; }

    /// <summary>m: the output tile is m x m (2 for F(2x2, 3x3), 4 for F(4x4, 3x3)).</summary>
    public int TileSize { get; }

    /// <summary>Whether a 2x2 stride-2 max pool (no padding) of the convolution's output is what <see cref="Forward"/> writes.</summary>
    public bool Pool { get; }

    /// <summary>Whether this machine runs the kernel (AVX-512 + FMA); elsewhere callers keep their GEMM path.</summary>
    public static bool IsSupported => Vector512.IsHardwareAccelerated && System.Runtime.Intrinsics.X86.Fma.IsSupported;

    /// <summary>
    /// Transforms the filters once. Returns null when the fast path does not apply: a non-finite filter or bias value,
    /// or a machine without AVX-512 (<see cref="IsSupported"/>); the caller then keeps its direct/GEMM convolution.
    /// </summary>
    /// <param name="filters">(FN, C, 3, 3), row-major (the book's W layout).</param>
    /// <param name="bias">(FN,).</param>
    /// <param name="filterCount">FN ≥ 1.</param>
    /// <param name="channels">C ≥ 1.</param>
    /// <param name="pad">Zero padding ≥ 0 on each side.</param>
    /// <param name="relu">Whether to apply ReLU after the bias.</param>
    /// <param name="tileSize">m, the output tile: 2 (F(2x2, 3x3)) or 4 (F(4x4, 3x3)).</param>
    /// <param name="pool">Whether to write the 2x2 stride-2 max pool of the (ReLU'd) convolution instead of the convolution.</param>
    /// <exception cref="ArgumentException">The lengths do not match FN·C·9 and FN, a size is out of range, or the tile size is not 2 or 4.</exception>
    public static WinogradConvolution? TryCreate(ReadOnlySpan<float> filters, ReadOnlySpan<float> bias, int filterCount, int channels, int pad, bool relu, int tileSize = 2, bool pool = false)
    {
        if (filterCount < 1 || channels < 1 || pad < 0 || tileSize is not (2 or 4))
        {
            throw new ArgumentException($"Winograd convolution needs FN ≥ 1, C ≥ 1, pad ≥ 0 and a tile of 2 or 4; got FN {filterCount}, C {channels}, pad {pad}, tile {tileSize}.");
        }

        if (filters.Length != (long)filterCount * channels * 9 || bias.Length != filterCount)
        {
            throw new ArgumentException($"Winograd convolution needs filters (FN={filterCount}, C={channels}, 3, 3) and bias ({filterCount},); got {filters.Length} and {bias.Length} values.");
        }

        if (!IsSupported
            || !System.Numerics.Tensors.TensorPrimitives.IsFiniteAll(filters)
            || !System.Numerics.Tensors.TensorPrimitives.IsFiniteAll(bias))
        {
            return null;
        }

        int alpha = tileSize + 2, positions = alpha * alpha;
        double[] gm = tileSize == 2 ? G2 : G4;
        int fnp = Round(filterCount, Lanes);
        var u = new float[positions * channels * fnp];
        Span<double> g = stackalloc double[9];
        Span<double> transformed = stackalloc double[positions];
        for (int f = 0; f < filterCount; f++)
        {
            for (int c = 0; c < channels; c++)
            {
                for (int i = 0; i < 9; i++)
                {
                    g[i] = filters[(f * channels + c) * 9 + i];
                }

                TransformFilter(gm, alpha, g, transformed);
                for (int xi = 0; xi < positions; xi++)
                {
                    u[((xi * channels) + c) * fnp + f] = (float)transformed[xi];
                }
            }
        }

        var paddedBias = new float[fnp];
        bias.CopyTo(paddedBias);
        return new WinogradConvolution(u, paddedBias, filters.ToArray(), filterCount, channels, pad, relu, tileSize, pool);
    }

    /// <summary>G g Gᵀ in double (rounded once to float by the caller); G is (alpha x 3), the result (alpha x alpha).</summary>
    private static void TransformFilter(double[] gm, int alpha, ReadOnlySpan<double> g, Span<double> u)
    {
        Span<double> t = stackalloc double[alpha * 3]; // G g: alpha x 3
        for (int i = 0; i < alpha; i++)
        {
            for (int j = 0; j < 3; j++)
            {
                t[i * 3 + j] = gm[i * 3] * g[j] + gm[i * 3 + 1] * g[3 + j] + gm[i * 3 + 2] * g[6 + j];
            }
        }

        for (int i = 0; i < alpha; i++)
        {
            for (int j = 0; j < alpha; j++)
            {
                u[i * alpha + j] = t[i * 3] * gm[j * 3] + t[i * 3 + 1] * gm[j * 3 + 1] + t[i * 3 + 2] * gm[j * 3 + 2];
            }
        }
    }

    /// <summary>Convolution output height or width for an input of <paramref name="size"/>: size + 2·pad − 2.</summary>
    public int OutputSize(int size) => size + 2 * Pad - 2;

    /// <summary>Height or width of what <see cref="Forward"/> writes: the convolution's, halved (rounded down) when pooled.</summary>
    public int ResultSize(int size) => Pool ? OutputSize(size) / 2 : OutputSize(size);

    /// <summary>Floats of workspace <see cref="Forward"/> needs for <paramref name="n"/> images of height x width.</summary>
    public int WorkspaceLength(int n, int height, int width)
    {
        long tiles = (long)n * TilesAlong(height) * TilesAlong(width);
        int lanes = LaneCount(tiles);
        long blockTiles = BlockTilesFor(tiles);
        return checked((int)(lanes * (blockTiles * _positions * (_paddedChannels + _paddedFilters) + TileSize * TileSize * _paddedFilters)));
    }

    /// <summary>Tiles along one axis: those covering the convolution's output, or only its pooled part when pooled.</summary>
    private int TilesAlong(int size)
    {
        int covered = Pool ? OutputSize(size) / 2 * 2 : OutputSize(size);
        return Math.Max(0, (covered + TileSize - 1) / TileSize);
    }

    private int BlockTilesFor(long tiles) => Math.Min(_blockTiles, Round((int)Math.Min(tiles, _blockTiles), RowQuantum));

    private int LaneCount(long tiles) =>
        (int)Math.Clamp(Math.Min(Environment.ProcessorCount, (tiles + _blockTiles - 1) / _blockTiles), 1, int.MaxValue);

    /// <summary>
    /// output (n, outH, outW, FN) = [ReLU](conv(input (n, H, W, C), filters, pad) + bias), both channels-last
    /// (NHWC), outH = H + 2·pad − 2, likewise outW; when <see cref="Pool"/>, the 2x2 stride-2 max pool of that,
    /// (n, ⌊outH/2⌋, ⌊outW/2⌋, FN). Parallel over the cores.
    /// </summary>
    /// <exception cref="ArgumentException">A span is shorter than the shapes need, or the padded image is smaller than 3x3 (4x4 when pooled).</exception>
    public void Forward(ReadOnlySpan<float> input, int n, int height, int width, Span<float> output, Span<float> workspace)
    {
        int outH = OutputSize(height), outW = OutputSize(width);
        int least = Pool ? 2 : 1;
        if (n < 0 || height < 1 || width < 1 || outH < least || outW < least)
        {
            throw new ArgumentException($"Winograd convolution: images {height}x{width} with pad {Pad} leave no {(Pool ? "pooled " : "")}3x3 position (n = {n}).");
        }

        int resultH = ResultSize(height), resultW = ResultSize(width);
        if (input.Length < (long)n * height * width * Channels || output.Length < (long)n * resultH * resultW * FilterCount
            || workspace.Length < WorkspaceLength(n, height, width))
        {
            throw new ArgumentException(
                $"Winograd convolution: input ({n}, {height}, {width}, {Channels}), output ({n}, {resultH}, {resultW}, {FilterCount}) and {WorkspaceLength(n, height, width)} workspace floats needed; got {input.Length}, {output.Length}, {workspace.Length}.");
        }

        if (n == 0)
        {
            return;
        }

        fixed (float* pi = input)
        fixed (float* po = output)
        fixed (float* pw = workspace)
        fixed (float* pu = _u)
        fixed (float* pb = _bias)
        fixed (float* pf = _filters)
        {
            int tilesW = TilesAlong(width), tilesH = TilesAlong(height);
            long tiles = (long)n * tilesH * tilesW;
            var job = new Job
            {
                Input = pi, Output = po, Workspace = pw, U = pu, Bias = pb, Filters = pf,
                Height = height, Width = width, OutH = outH, OutW = outW, TilesW = tilesW, TilesPerImage = tilesH * tilesW,
                Tiles = tiles, C = Channels, Cp = _paddedChannels, FN = FilterCount, FNp = _paddedFilters, Pad = Pad, Relu = Relu,
                M = TileSize, Positions = _positions, Pool = Pool, ResultH = resultH, ResultW = resultW,
                BlockTiles = BlockTilesFor(tiles),
            };
            job.Blocks = (int)((tiles + job.BlockTiles - 1) / job.BlockTiles);
            int lanes = LaneCount(tiles);
            WorkerPool.Run(&RunLane, &job, lanes);
        }
    }

    /// <summary>Everything one call needs, on the caller's stack; lanes take blocks of tiles from <see cref="Next"/>.</summary>
    private struct Job
    {
        public float* Input, Output, Workspace, U, Bias, Filters;
        public int Height, Width, OutH, OutW, TilesW, TilesPerImage, C, Cp, FN, FNp, Pad, BlockTiles, Blocks, M, Positions, ResultH, ResultW;
        public long Tiles;
        public bool Relu, Pool;
        public int Next;
    }

    /// <summary>One lane: its own slice of the workspace, blocks taken in turn until none are left.</summary>
    private static void RunLane(void* state, int lane)
    {
        var job = (Job*)state;
        long perLane = (long)job->BlockTiles * job->Positions * (job->Cp + job->FNp) + job->M * job->M * job->FNp;
        float* v = job->Workspace + lane * perLane;
        float* m = v + (long)job->BlockTiles * job->Positions * job->Cp;
        float* y = m + (long)job->BlockTiles * job->Positions * job->FNp;
        int block;
        while ((block = Interlocked.Increment(ref job->Next) - 1) < job->Blocks)
        {
            long first = (long)block * job->BlockTiles;
            int count = (int)Math.Min(job->BlockTiles, job->Tiles - first);
            RunBlock(job, first, count, v, m, y);
        }
    }

    [SkipLocalsInit]
    private static void RunBlock(Job* job, long first, int count, float* v, float* m, float* y)
    {
        int rows = Round(count, RowQuantum);
        // Position-major: V[ξ] and M[ξ] are each a contiguous (rows x C) / (rows x FNp) matrix, so the GEMMs read
        // and write consecutive rows (no power-of-two strides between a register tile's rows).
        long vPlane = (long)job->BlockTiles * job->Cp, mPlane = (long)job->BlockTiles * job->FNp;
        for (int t = 0; t < rows; t++)
        {
            // Rows past the last tile are computed and discarded: give them the last tile so they stay finite.
            long tile = first + Math.Min(t, count - 1);
            if (job->M == 2)
            {
                TransformInput2(job, tile, v + (long)t * job->Cp, vPlane);
            }
            else
            {
                TransformInput4(job, tile, v + (long)t * job->Cp, vPlane);
            }
        }

        for (int xi = 0; xi < job->Positions; xi++)
        {
            float* u = job->U + (long)xi * job->C * job->FNp;
            float* a = v + xi * vPlane;
            float* c = m + xi * mPlane;
            int f = 0;
            for (; f + 2 * Lanes <= job->FNp; f += 2 * Lanes)
            {
                for (int r = 0; r < rows; r += 6)
                {
                    Tile6x32(job->C, a + (long)r * job->Cp, job->Cp, u + f, job->FNp, c + (long)r * job->FNp + f, job->FNp);
                }
            }

            if (f < job->FNp)
            {
                for (int r = 0; r < rows; r += 12)
                {
                    Tile12x16(job->C, a + (long)r * job->Cp, job->Cp, u + f, job->FNp, c + (long)r * job->FNp + f, job->FNp);
                }
            }
        }

        for (int t = 0; t < count; t++)
        {
            long tile = first + t;
            int image = (int)(tile / job->TilesPerImage);
            int within = (int)(tile - (long)image * job->TilesPerImage);
            int oy = within / job->TilesW * job->M, ox = within % job->TilesW * job->M;
            bool finite = job->M == 2
                ? TransformOutput2(job, m + (long)t * job->FNp, mPlane, y)
                : TransformOutput4(job, m + (long)t * job->FNp, mPlane, y);
            if (!finite)
            {
                Direct(job, image, oy, ox, y);
            }

            Emit(job, image, oy, ox, y);
        }
    }

    /// <summary>Loads 16 channels of pixel (y, x), or zeros outside the image (the padding); a short last group is zero-filled.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> LoadPixel(float* image, int y, int x, int height, int width, int c, int cLeft, int channels)
    {
        if ((uint)y >= (uint)height || (uint)x >= (uint)width)
        {
            return Vector512<float>.Zero;
        }

        float* p = image + ((long)y * width + x) * channels + c;
        if (cLeft >= Lanes)
        {
            return Vector512.Load(p);
        }

        var mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(cLeft)).AsSingle();
        return System.Runtime.Intrinsics.X86.Avx512F.MaskLoad(p, mask, Vector512<float>.Zero);
    }

    /// <summary>F(2x2): V = Bᵀ d B for one tile, 16 channels at a time: Bᵀ = [[1,0,−1,0],[0,1,1,0],[0,−1,1,0],[0,1,0,−1]].</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransformInput2(Job* job, long tile, float* v, long plane)
    {
        int image = (int)(tile / job->TilesPerImage);
        int within = (int)(tile - (long)image * job->TilesPerImage);
        int y0 = within / job->TilesW * 2 - job->Pad, x0 = within % job->TilesW * 2 - job->Pad;
        int height = job->Height, width = job->Width, channels = job->C;
        float* img = job->Input + (long)image * height * width * channels;
        for (int c = 0; c < channels; c += Lanes)
        {
            int left = channels - c;
            // Rows first: column j of Bᵀ d, (t0j, t1j, t2j, t3j), for each of the 4 columns.
            Column(img, y0, x0, height, width, c, left, channels, out var t00, out var t10, out var t20, out var t30);
            Column(img, y0, x0 + 1, height, width, c, left, channels, out var t01, out var t11, out var t21, out var t31);
            Column(img, y0, x0 + 2, height, width, c, left, channels, out var t02, out var t12, out var t22, out var t32);
            Column(img, y0, x0 + 3, height, width, c, left, channels, out var t03, out var t13, out var t23, out var t33);
            StoreRow(t00, t01, t02, t03, v + 0 * 4 * plane + c, plane);
            StoreRow(t10, t11, t12, t13, v + 1 * 4 * plane + c, plane);
            StoreRow(t20, t21, t22, t23, v + 2 * 4 * plane + c, plane);
            StoreRow(t30, t31, t32, t33, v + 3 * 4 * plane + c, plane);
        }
    }

    /// <summary>Columns: (t B)_{i,0..3} for one row i of Bᵀ d, stored at positions 4i..4i+3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(Vector512<float> t0, Vector512<float> t1, Vector512<float> t2, Vector512<float> t3, float* v, long plane)
    {
        (t0 - t2).Store(v);
        (t1 + t2).Store(v + plane);
        (t2 - t1).Store(v + 2 * plane);
        (t1 - t3).Store(v + 3 * plane);
    }

    /// <summary>Column x of Bᵀ d: the 4 pixels (y0..y0+3, x) combined as the rows of Bᵀ say.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Column(float* img, int y0, int x, int height, int width, int c, int left, int channels,
        out Vector512<float> t0, out Vector512<float> t1, out Vector512<float> t2, out Vector512<float> t3)
    {
        var d0 = LoadPixel(img, y0, x, height, width, c, left, channels);
        var d1 = LoadPixel(img, y0 + 1, x, height, width, c, left, channels);
        var d2 = LoadPixel(img, y0 + 2, x, height, width, c, left, channels);
        var d3 = LoadPixel(img, y0 + 3, x, height, width, c, left, channels);
        t0 = d0 - d2;
        t1 = d1 + d2;
        t2 = d2 - d1;
        t3 = d1 - d3;
    }

    /// <summary>
    /// F(4x4): V = Bᵀ d B for one 6x6 input tile, 16 channels at a time, with
    /// Bᵀ = [[4,0,−5,0,1,0],[0,−4,−4,1,1,0],[0,4,−4,−1,1,0],[0,−2,−1,2,1,0],[0,2,−1,−2,1,0],[0,4,0,−5,0,1]]:
    /// columns first into a 6x6 scratch on the stack, then its rows into the 36 position planes.
    /// </summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransformInput4(Job* job, long tile, float* v, long plane)
    {
        int image = (int)(tile / job->TilesPerImage);
        int within = (int)(tile - (long)image * job->TilesPerImage);
        int y0 = within / job->TilesW * 4 - job->Pad, x0 = within % job->TilesW * 4 - job->Pad;
        int height = job->Height, width = job->Width, channels = job->C;
        float* img = job->Input + (long)image * height * width * channels;
        var t = stackalloc Vector512<float>[36];
        var o = stackalloc Vector512<float>[6];
        // A tile whose 6x6 patch lies inside the image (most of them) loads whole vectors without the padding checks.
        bool inside = y0 >= 0 && x0 >= 0 && y0 + 6 <= height && x0 + 6 <= width;
        long rowStride = (long)width * channels;
        for (int c = 0; c < channels; c += Lanes)
        {
            int left = channels - c;
            if (inside && left >= Lanes)
            {
                float* p = img + ((long)y0 * width + x0) * channels + c;
                for (int x = 0; x < 6; x++)
                {
                    float* q = p + (long)x * channels;
                    Bt6(Vector512.Load(q), Vector512.Load(q + rowStride), Vector512.Load(q + 2 * rowStride), Vector512.Load(q + 3 * rowStride),
                        Vector512.Load(q + 4 * rowStride), Vector512.Load(q + 5 * rowStride), t + x, 6);
                }
            }
            else
            {
                for (int x = 0; x < 6; x++)
                {
                    Bt6(
                        LoadPixel(img, y0, x0 + x, height, width, c, left, channels),
                        LoadPixel(img, y0 + 1, x0 + x, height, width, c, left, channels),
                        LoadPixel(img, y0 + 2, x0 + x, height, width, c, left, channels),
                        LoadPixel(img, y0 + 3, x0 + x, height, width, c, left, channels),
                        LoadPixel(img, y0 + 4, x0 + x, height, width, c, left, channels),
                        LoadPixel(img, y0 + 5, x0 + x, height, width, c, left, channels),
                        t + x, 6);
                }
            }

            for (int i = 0; i < 6; i++)
            {
                var r = t + 6 * i;
                Bt6(r[0], r[1], r[2], r[3], r[4], r[5], o, 1);
                float* p = v + 6 * i * plane + c;
                o[0].Store(p);
                o[1].Store(p + plane);
                o[2].Store(p + 2 * plane);
                o[3].Store(p + 3 * plane);
                o[4].Store(p + 4 * plane);
                o[5].Store(p + 5 * plane);
            }
        }
    }

    /// <summary>Bᵀ d for F(4x4) on six vectors; results to o[0], o[stride], … o[5·stride].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Bt6(Vector512<float> d0, Vector512<float> d1, Vector512<float> d2, Vector512<float> d3, Vector512<float> d4, Vector512<float> d5, Vector512<float>* o, int stride)
    {
        var four = Vector512.Create(4f);
        var minusFour = Vector512.Create(-4f);
        var minusFive = Vector512.Create(-5f);
        var a = Vector512.FusedMultiplyAdd(minusFour, d2, d4); // d4 − 4d2
        var b = Vector512.FusedMultiplyAdd(minusFour, d1, d3); // d3 − 4d1
        var c = d4 - d2;
        var e = (d3 - d1) * 2f;
        o[0] = Vector512.FusedMultiplyAdd(four, d0, Vector512.FusedMultiplyAdd(minusFive, d2, d4));
        o[stride] = a + b;
        o[2 * stride] = a - b;
        o[3 * stride] = c + e;
        o[4 * stride] = c - e;
        o[5 * stride] = Vector512.FusedMultiplyAdd(four, d1, Vector512.FusedMultiplyAdd(minusFive, d3, d5));
    }

    /// <summary>
    /// F(2x2): Y = Aᵀ m A (Aᵀ = [[1,1,1,0],[0,1,−1,−1]]) + bias, [ReLU], into the 2x2 tile scratch
    /// <paramref name="y"/> ((dy·2 + dx)·FNp + f). Returns false when some value is not finite.
    /// </summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool TransformOutput2(Job* job, float* m, long plane, float* y)
    {
        int fnp = job->FNp;
        var check = Vector512<float>.Zero;
        for (int f = 0; f < fnp; f += Lanes)
        {
            float* p = m + f;
            var s00 = Vector512.Load(p) + Vector512.Load(p + plane) + Vector512.Load(p + 2 * plane);
            var s01 = Vector512.Load(p + 4 * plane) + Vector512.Load(p + 5 * plane) + Vector512.Load(p + 6 * plane);
            var s02 = Vector512.Load(p + 8 * plane) + Vector512.Load(p + 9 * plane) + Vector512.Load(p + 10 * plane);
            var s03 = Vector512.Load(p + 12 * plane) + Vector512.Load(p + 13 * plane) + Vector512.Load(p + 14 * plane);
            var s10 = Vector512.Load(p + plane) - Vector512.Load(p + 2 * plane) - Vector512.Load(p + 3 * plane);
            var s11 = Vector512.Load(p + 5 * plane) - Vector512.Load(p + 6 * plane) - Vector512.Load(p + 7 * plane);
            var s12 = Vector512.Load(p + 9 * plane) - Vector512.Load(p + 10 * plane) - Vector512.Load(p + 11 * plane);
            var s13 = Vector512.Load(p + 13 * plane) - Vector512.Load(p + 14 * plane) - Vector512.Load(p + 15 * plane);

            // Position ξ = 4i + j (i the tile row): s0i, s1i are (m A) for row i; the rows combine by Aᵀ below.
            var bias = Vector512.Load(job->Bias + f);
            var y00 = s00 + s01 + s02 + bias;
            var y01 = s10 + s11 + s12 + bias;
            var y10 = s01 - s02 - s03 + bias;
            var y11 = s11 - s12 - s13 + bias;
            check = Vector512.FusedMultiplyAdd(y00, Vector512<float>.Zero, check);
            check = Vector512.FusedMultiplyAdd(y01, Vector512<float>.Zero, check);
            check = Vector512.FusedMultiplyAdd(y10, Vector512<float>.Zero, check);
            check = Vector512.FusedMultiplyAdd(y11, Vector512<float>.Zero, check);
            if (job->Relu)
            {
                y00 = Vector512.MaxNative(y00, Vector512<float>.Zero);
                y01 = Vector512.MaxNative(y01, Vector512<float>.Zero);
                y10 = Vector512.MaxNative(y10, Vector512<float>.Zero);
                y11 = Vector512.MaxNative(y11, Vector512<float>.Zero);
            }

            y00.Store(y + f);
            y01.Store(y + fnp + f);
            y10.Store(y + 2 * fnp + f);
            y11.Store(y + 3 * fnp + f);
        }

        // 0·y is 0 for every finite y and NaN for NaN/∞: a NaN here means some output of the tile is not finite.
        return Vector512.EqualsAll(check, check);
    }

    /// <summary>
    /// F(4x4): Y = Aᵀ m A + bias, [ReLU], with Aᵀ = [[1,1,1,1,1,0],[0,1,−1,2,−2,0],[0,1,1,4,4,0],[0,1,−1,8,−8,1]], into
    /// the 4x4 tile scratch <paramref name="y"/> ((dy·4 + dx)·FNp + f). Returns false when some value is not finite.
    /// </summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool TransformOutput4(Job* job, float* m, long plane, float* y)
    {
        int fnp = job->FNp;
        var check = Vector512<float>.Zero;
        var t = stackalloc Vector512<float>[24]; // m A: row i of the tile, column k at [4i + k]
        var o = stackalloc Vector512<float>[4];
        for (int f = 0; f < fnp; f += Lanes)
        {
            float* p = m + f;
            for (int i = 0; i < 6; i++)
            {
                float* r = p + 6 * i * plane;
                At6(Vector512.Load(r), Vector512.Load(r + plane), Vector512.Load(r + 2 * plane), Vector512.Load(r + 3 * plane),
                    Vector512.Load(r + 4 * plane), Vector512.Load(r + 5 * plane), t + 4 * i, 1);
            }

            var bias = Vector512.Load(job->Bias + f);
            for (int k = 0; k < 4; k++)
            {
                At6(t[k], t[4 + k], t[8 + k], t[12 + k], t[16 + k], t[20 + k], o, 1);
                for (int dy = 0; dy < 4; dy++)
                {
                    var value = o[dy] + bias;
                    check = Vector512.FusedMultiplyAdd(value, Vector512<float>.Zero, check);
                    if (job->Relu)
                    {
                        value = Vector512.MaxNative(value, Vector512<float>.Zero);
                    }

                    value.Store(y + (dy * 4 + k) * fnp + f);
                }
            }
        }

        return Vector512.EqualsAll(check, check);
    }

    /// <summary>Aᵀ x for F(4x4) on six vectors; the four results to o[0], o[stride], o[2·stride], o[3·stride].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void At6(Vector512<float> m0, Vector512<float> m1, Vector512<float> m2, Vector512<float> m3, Vector512<float> m4, Vector512<float> m5, Vector512<float>* o, int stride)
    {
        var p = m1 + m2;
        var q = m1 - m2;
        var r = m3 + m4;
        var s = m3 - m4;
        o[0] = m0 + p + r;
        o[stride] = Vector512.FusedMultiplyAdd(Vector512.Create(2f), s, q);
        o[2 * stride] = Vector512.FusedMultiplyAdd(Vector512.Create(4f), r, p);
        o[3 * stride] = Vector512.FusedMultiplyAdd(Vector512.Create(8f), s, q) + m5;
    }

    /// <summary>
    /// Stores the tile scratch <paramref name="y"/> (m x m x FNp, bias and ReLU applied) to the output: its pixels inside
    /// the convolution's output, or, when pooled, the max of each 2x2 window (the same IEEE maximum, NaN kept, as the
    /// engine's pooling step) for the windows inside the pooled output.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Emit(Job* job, int image, int oy, int ox, float* y)
    {
        int fn = job->FN, fnp = job->FNp, tile = job->M;
        if (!job->Pool)
        {
            int rows = Math.Min(tile, job->OutH - oy), cols = Math.Min(tile, job->OutW - ox);
            for (int dy = 0; dy < rows; dy++)
            {
                float* o = job->Output + (((long)image * job->OutH + oy + dy) * job->OutW + ox) * fn;
                for (int dx = 0; dx < cols; dx++)
                {
                    Copy(y + (dy * tile + dx) * fnp, o + dx * fn, fn);
                }
            }

            return;
        }

        int py0 = oy / 2, px0 = ox / 2, half = tile / 2;
        int pRows = Math.Min(half, job->ResultH - py0), pCols = Math.Min(half, job->ResultW - px0);
        for (int py = 0; py < pRows; py++)
        {
            float* o = job->Output + (((long)image * job->ResultH + py0 + py) * job->ResultW + px0) * fn;
            for (int px = 0; px < pCols; px++)
            {
                float* a = y + (2 * py * tile + 2 * px) * fnp;
                float* b = a + tile * fnp;
                for (int f = 0; f < fn; f += Lanes)
                {
                    var max = Vector512.Max(
                        Vector512.Max(Vector512.Load(a + f), Vector512.Load(a + fnp + f)),
                        Vector512.Max(Vector512.Load(b + f), Vector512.Load(b + fnp + f)));
                    Store(max, o + px * fn + f, Math.Min(Lanes, fn - f));
                }
            }
        }
    }

    /// <summary>Copies <paramref name="count"/> floats from a padded scratch row (whole vectors readable) to the output.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy(float* from, float* to, int count)
    {
        for (int f = 0; f < count; f += Lanes)
        {
            Store(Vector512.Load(from + f), to + f, Math.Min(Lanes, count - f));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector512<float> value, float* destination, int width)
    {
        if (width == Lanes)
        {
            value.Store(destination);
            return;
        }

        var mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(width)).AsSingle();
        System.Runtime.Intrinsics.X86.Avx512F.MaskStore(destination, mask, value);
    }

    /// <summary>
    /// The plain direct convolution of the tile's output pixels inside the output, into the tile scratch (sum over ky,
    /// kx, c in float, then bias, then ReLU as TensorPrimitives.Max(x, 0) does: NaN kept), the reference pattern for
    /// non-finite values.
    /// </summary>
    private static void Direct(Job* job, int image, int oy, int ox, float* tileOut)
    {
        int channels = job->C, tile = job->M;
        int rows = Math.Min(tile, job->OutH - oy), cols = Math.Min(tile, job->OutW - ox);
        float* img = job->Input + (long)image * job->Height * job->Width * channels;
        for (int dy = 0; dy < rows; dy++)
        {
            for (int dx = 0; dx < cols; dx++)
            {
                float* o = tileOut + (dy * tile + dx) * job->FNp;
                for (int f = 0; f < job->FN; f++)
                {
                    float sum = 0f;
                    for (int ky = 0; ky < 3; ky++)
                    {
                        int yy = oy + dy + ky - job->Pad;
                        if ((uint)yy >= (uint)job->Height)
                        {
                            continue;
                        }

                        for (int kx = 0; kx < 3; kx++)
                        {
                            int xx = ox + dx + kx - job->Pad;
                            if ((uint)xx >= (uint)job->Width)
                            {
                                continue;
                            }

                            float* pixel = img + ((long)yy * job->Width + xx) * channels;
                            for (int c = 0; c < channels; c++)
                            {
                                sum += job->Filters[((long)f * channels + c) * 9 + ky * 3 + kx] * pixel[c];
                            }
                        }
                    }

                    sum += job->Bias[f];
                    o[f] = job->Relu ? MathF.Max(sum, 0f) : sum;
                }
            }
        }
    }

    /// <summary>C[6 x 32] = A[6 x k]·B[k x 32]; A rows <paramref name="lda"/> apart, B rows <paramref name="ldb"/> apart.</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile6x32(int k, float* a, int lda, float* b, int ldb, float* c, int ldc)
    {
        float* a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda, a4 = a + 4 * lda, a5 = a + 5 * lda;
        var c00 = Vector512<float>.Zero; var c01 = Vector512<float>.Zero;
        var c10 = Vector512<float>.Zero; var c11 = Vector512<float>.Zero;
        var c20 = Vector512<float>.Zero; var c21 = Vector512<float>.Zero;
        var c30 = Vector512<float>.Zero; var c31 = Vector512<float>.Zero;
        var c40 = Vector512<float>.Zero; var c41 = Vector512<float>.Zero;
        var c50 = Vector512<float>.Zero; var c51 = Vector512<float>.Zero;
        for (int p = 0; p < k; p++)
        {
            var b0 = Vector512.Load(b + (long)p * ldb);
            var b1 = Vector512.Load(b + (long)p * ldb + Lanes);
            var v = Vector512.Create(a0[p]);
            c00 = Vector512.FusedMultiplyAdd(v, b0, c00); c01 = Vector512.FusedMultiplyAdd(v, b1, c01);
            v = Vector512.Create(a1[p]);
            c10 = Vector512.FusedMultiplyAdd(v, b0, c10); c11 = Vector512.FusedMultiplyAdd(v, b1, c11);
            v = Vector512.Create(a2[p]);
            c20 = Vector512.FusedMultiplyAdd(v, b0, c20); c21 = Vector512.FusedMultiplyAdd(v, b1, c21);
            v = Vector512.Create(a3[p]);
            c30 = Vector512.FusedMultiplyAdd(v, b0, c30); c31 = Vector512.FusedMultiplyAdd(v, b1, c31);
            v = Vector512.Create(a4[p]);
            c40 = Vector512.FusedMultiplyAdd(v, b0, c40); c41 = Vector512.FusedMultiplyAdd(v, b1, c41);
            v = Vector512.Create(a5[p]);
            c50 = Vector512.FusedMultiplyAdd(v, b0, c50); c51 = Vector512.FusedMultiplyAdd(v, b1, c51);
        }

        c00.Store(c); c01.Store(c + Lanes);
        c10.Store(c + ldc); c11.Store(c + ldc + Lanes);
        c20.Store(c + 2 * ldc); c21.Store(c + 2 * ldc + Lanes);
        c30.Store(c + 3 * ldc); c31.Store(c + 3 * ldc + Lanes);
        c40.Store(c + 4 * ldc); c41.Store(c + 4 * ldc + Lanes);
        c50.Store(c + 5 * ldc); c51.Store(c + 5 * ldc + Lanes);
    }

    /// <summary>C[12 x 16] = A[12 x k]·B[k x 16]: twelve accumulators for a last single column vector.</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile12x16(int k, float* a, int lda, float* b, int ldb, float* c, int ldc)
    {
        var c0 = Vector512<float>.Zero; var c1 = Vector512<float>.Zero; var c2 = Vector512<float>.Zero;
        var c3 = Vector512<float>.Zero; var c4 = Vector512<float>.Zero; var c5 = Vector512<float>.Zero;
        var c6 = Vector512<float>.Zero; var c7 = Vector512<float>.Zero; var c8 = Vector512<float>.Zero;
        var c9 = Vector512<float>.Zero; var c10 = Vector512<float>.Zero; var c11 = Vector512<float>.Zero;
        long l = lda;
        for (int p = 0; p < k; p++)
        {
            var b0 = Vector512.Load(b + (long)p * ldb);
            float* ap = a + p;
            c0 = Vector512.FusedMultiplyAdd(Vector512.Create(ap[0]), b0, c0);
            c1 = Vector512.FusedMultiplyAdd(Vector512.Create(ap[l]), b0, c1);
            c2 = Vector512.FusedMultiplyAdd(Vector512.Create(ap[2 * l]), b0, c2);
            c3 = Vector512.FusedMultiplyAdd(Vector512.Create(ap[3 * l]), b0, c3);
            c4 = Vector512.FusedMultiplyAdd(Vector512.Create(ap[4 * l]), b0, c4);
            c5 = Vector512.FusedMultiplyAdd(Vector512.Create(ap[5 * l]), b0, c5);
            c6 = Vector512.FusedMultiplyAdd(Vector512.Create(ap[6 * l]), b0, c6);
            c7 = Vector512.FusedMultiplyAdd(Vector512.Create(ap[7 * l]), b0, c7);
            c8 = Vector512.FusedMultiplyAdd(Vector512.Create(ap[8 * l]), b0, c8);
            c9 = Vector512.FusedMultiplyAdd(Vector512.Create(ap[9 * l]), b0, c9);
            c10 = Vector512.FusedMultiplyAdd(Vector512.Create(ap[10 * l]), b0, c10);
            c11 = Vector512.FusedMultiplyAdd(Vector512.Create(ap[11 * l]), b0, c11);
        }

        c0.Store(c); c1.Store(c + ldc); c2.Store(c + 2 * ldc); c3.Store(c + 3 * ldc);
        c4.Store(c + 4 * ldc); c5.Store(c + 5 * ldc); c6.Store(c + 6 * ldc); c7.Store(c + 7 * ldc);
        c8.Store(c + 8 * ldc); c9.Store(c + 9 * ldc); c10.Store(c + 10 * ldc); c11.Store(c + 11 * ldc);
    }

    private static int Round(int value, int quantum) => (value + quantum - 1) / quantum * quantum;
}
