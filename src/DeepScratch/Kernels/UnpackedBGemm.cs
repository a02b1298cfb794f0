using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepScratch.Kernels;

/// <summary>
/// Products read straight from a row-major B, without packing it, on AVX-512: few rows (batch-1 inference, 1 x 784 x 50),
/// where each element of B is used at most five times and packing it (157 KB for 784 x 50) cost more than the product;
/// and a narrow B that the level-2 cache holds (n ≤ <see cref="MaxColumns"/>, k·n ≤ <see cref="MaxElements"/>), such as a
/// training step's x·W and xᵀ·dout, where W changes every step and packing it again each time cost a third of the
/// product. Blocks of up to 6 rows x 64 columns are held in registers while k runs, the row's edge read and written with
/// masks; A is read in place, transposed or not. Each element is summed exactly as by the packed kernels (p ascending
/// from zero, one FMA per step, over the same k chunks of <see cref="Gemm.MaxChunk"/>, then alpha, beta as in
/// <see cref="MicroKernels.StoreSixteen"/>), so a row's result does not depend on the path, on how many rows came with it
/// or on the thread that computed it.
/// </summary>
internal static unsafe class UnpackedBGemm
{
    /// <summary>Rows any product may have and still take this path; six and more fill the packed kernels' tiles.</summary>
    public const int MaxSmallRows = 5;

    /// <summary>Widest B taken for any number of rows: two 64-column blocks.</summary>
    public const int MaxColumns = 128;

    /// <summary>
    /// Most elements of B taken for any number of rows: 256 KB, which the level-2 cache holds while the rows stream past.
    /// Not more: a B read in place by both cores sits in both caches, and an optimizer writing it next must take every
    /// line back from the other core. At 784 x 100 (313 KB, MultiLayerNetExtend's W1) x·W gained 20 µs and Adam lost
    /// 50-110 µs; its packed copy is read by both cores instead and W stays with the core that updates it.
    /// </summary>
    public const int MaxElements = 64 * 1024;

    private const int BlockColumns = 64;

    /// <summary>Rows per register tile.</summary>
    private const int TileRows = 6;

    /// <summary>
    /// Whether this path takes a product: AVX-512 kernels, B not transposed, k ≥ 1, and 1 to <see cref="MaxSmallRows"/> rows or
    /// a B narrow and small enough to stay in the level-2 cache.
    /// </summary>
    public static bool Applies(KernelSet kernels, Transpose transB, int m, int n, int k) =>
        kernels == KernelSet.Avx512 && Avx512F.IsSupported && transB == Transpose.No && m >= 1 && k >= 1
        && (m <= MaxSmallRows || (n <= MaxColumns && (long)k * n <= MaxElements));

    /// <summary>
    /// C = alpha · op(A) · B + beta · C, B row-major k x n; k ≥ 1. A is read in place, element (i, p) at
    /// <c>a[i·rowStep + p·stepStride]</c> (rowStep = lda, stepStride = 1 when not transposed; 1 and lda when transposed).
    /// Rows are shared out across the worker pool when the product is large.
    /// </summary>
    public static void Multiply(int m, int n, int k, float alpha, float* a, int rowStep, int stepStride,
        float* b, int ldb, float beta, float* c, int ldc)
    {
        var job = new Job(m, n, k, alpha, a, rowStep, stepStride, b, ldb, beta, c, ldc);
        int threads = Environment.ProcessorCount;
        if ((long)m * n * k < Gemm.ParallelThreshold || threads < 2 || m < 2 * TileRows)
        {
            Rows(&job, 0, m);
            return;
        }

        job.Shares = Math.Min(threads, m / TileRows);
        WorkerPool.Run(&Share, &job, job.Shares);
    }

    private struct Job(int m, int n, int k, float alpha, float* a, int rowStep, int stepStride, float* b, int ldb, float beta, float* c, int ldc)
    {
        public readonly int M = m, N = n, K = k, RowStep = rowStep, StepStride = stepStride, Ldb = ldb, Ldc = ldc;
        public readonly float Alpha = alpha, Beta = beta;
        public readonly float* A = a, B = b, C = c;
        public int Shares;
    }

    /// <summary>Share <paramref name="share"/> of the rows, in whole tiles (the last share takes the rest).</summary>
    private static void Share(void* state, int share)
    {
        var job = (Job*)state;
        var (start, end) = WorkerPool.ShareOf(job->M, TileRows, share, job->Shares);
        if (start < end)
        {
            Rows(job, start, end);
        }
    }

    /// <summary>
    /// Rows [start, end): column block, then k chunk, then row tiles, so each tile reads the block's slice of B
    /// (at most <see cref="Gemm.MaxChunk"/> x 64 floats) from the cache the tile before it filled.
    /// </summary>
    private static void Rows(Job* job, int start, int end)
    {
        int k = job->K;
        int chunks = (k + Gemm.MaxChunk - 1) / Gemm.MaxChunk;
        int chunkLength = (k + chunks - 1) / chunks;
        for (int j0 = 0; j0 < job->N; j0 += BlockColumns)
        {
            int cols = Math.Min(BlockColumns, job->N - j0);
            for (int pc = 0; pc < k; pc += chunkLength)
            {
                int kc = Math.Min(chunkLength, k - pc);
                float beta = pc == 0 ? job->Beta : 1f;
                float* bp = job->B + (long)pc * job->Ldb + j0;
                for (int i = start; i < end; i += TileRows)
                {
                    float* ap = job->A + (long)i * job->RowStep + (long)pc * job->StepStride;
                    float* cp = job->C + (long)i * job->Ldc + j0;
                    var tile = new Tile(kc, ap, job->RowStep, job->StepStride, bp, job->Ldb, cp, job->Ldc, cols, job->Alpha, beta);
                    switch (Math.Min(TileRows, end - i))
                    {
                        case 1: Columns<OneRow>(tile); break;
                        case 2: Columns<TwoRows>(tile); break;
                        case 3: Columns<ThreeRows>(tile); break;
                        case 4: Columns<FourRows>(tile); break;
                        case 5: Columns<FiveRows>(tile); break;
                        default: Columns<SixRows>(tile); break;
                    }
                }
            }
        }
    }

    /// <summary>Picks the kernel for the block's 16-float vectors in use (1 to 4): a narrow B (n = 10) pays for 1, not 4.</summary>
    private static void Columns<TRows>(in Tile tile)
        where TRows : struct, IRowCount
    {
        switch ((tile.Cols + 15) / 16)
        {
            case 1: Block<TRows, OneVector>(tile); break;
            case 2: Block<TRows, TwoVectors>(tile); break;
            case 3: Block<TRows, ThreeVectors>(tile); break;
            default: Block<TRows, FourVectors>(tile); break;
        }
    }

    /// <summary>One register tile's operands: <c>kc</c> steps of A (from its first row and step) and B, and where C goes.</summary>
    private readonly struct Tile(int kc, float* a, int rowStep, int stepStride, float* b, int ldb, float* c, int ldc, int cols, float alpha, float beta)
    {
        public readonly int Kc = kc, RowStep = rowStep, StepStride = stepStride, Ldb = ldb, Ldc = ldc, Cols = cols;
        public readonly float* A = a, B = b, C = c;
        public readonly float Alpha = alpha, Beta = beta;
    }

    /// <summary>Lanes [0, count) set (all 16 when count ≥ 16, none when count ≤ 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Mask(int count) =>
        Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();

    /// <summary>The packed kernels' epilogue (<see cref="MicroKernels.StoreSixteen"/>: alpha, then + C or beta·C + acc), masked.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(Vector512<float> acc, float* c, Vector512<float> mask, float alpha, float beta)
    {
        if (alpha != 1f)
        {
            acc *= Vector512.Create(alpha);
        }

        if (beta == 1f)
        {
            acc += Avx512F.MaskLoad(c, mask, Vector512<float>.Zero);
        }
        else if (beta != 0f)
        {
            acc = Vector512.FusedMultiplyAdd(Vector512.Create(beta), Avx512F.MaskLoad(c, mask, Vector512<float>.Zero), acc);
        }

        Avx512F.MaskStore(c, mask, acc);
    }

    /// <summary>
    /// <typeparamref name="TRows"/> rows x <typeparamref name="TVectors"/> 16-float vectors of columns (at most 24
    /// accumulators): the JIT compiles one kernel per pair with the unused rows' and vectors' loads and FMAs removed.
    /// </summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block<TRows, TVectors>(in Tile t)
        where TRows : struct, IRowCount
        where TVectors : struct, IVectorCount
    {
        int rows = TRows.Value;
        int vectors = TVectors.Value;
        int cols = t.Cols, ldb = t.Ldb, stepStride = t.StepStride;
        // Every vector but the last is whole: only the last one's loads need a mask.
        var last = Mask(cols - 16 * (vectors - 1));
        var m0 = vectors == 1 ? last : Vector512<float>.AllBitsSet;
        var m1 = vectors == 2 ? last : Vector512<float>.AllBitsSet;
        var m2 = vectors == 3 ? last : Vector512<float>.AllBitsSet;
        var m3 = last;
        var c00 = Vector512<float>.Zero; var c01 = Vector512<float>.Zero; var c02 = Vector512<float>.Zero; var c03 = Vector512<float>.Zero;
        var c10 = Vector512<float>.Zero; var c11 = Vector512<float>.Zero; var c12 = Vector512<float>.Zero; var c13 = Vector512<float>.Zero;
        var c20 = Vector512<float>.Zero; var c21 = Vector512<float>.Zero; var c22 = Vector512<float>.Zero; var c23 = Vector512<float>.Zero;
        var c30 = Vector512<float>.Zero; var c31 = Vector512<float>.Zero; var c32 = Vector512<float>.Zero; var c33 = Vector512<float>.Zero;
        var c40 = Vector512<float>.Zero; var c41 = Vector512<float>.Zero; var c42 = Vector512<float>.Zero; var c43 = Vector512<float>.Zero;
        var c50 = Vector512<float>.Zero; var c51 = Vector512<float>.Zero; var c52 = Vector512<float>.Zero; var c53 = Vector512<float>.Zero;
        float* a0 = t.A;
        float* a1 = a0 + (rows > 1 ? t.RowStep : 0);
        float* a2 = a0 + (rows > 2 ? 2 * t.RowStep : 0);
        float* a3 = a0 + (rows > 3 ? 3 * t.RowStep : 0);
        float* a4 = a0 + (rows > 4 ? 4 * t.RowStep : 0);
        float* a5 = a0 + (rows > 5 ? 5 * t.RowStep : 0);
        float* bp = t.B;
        for (int p = 0; p < t.Kc; p++, bp += ldb)
        {
            var b0 = vectors == 1 ? Avx512F.MaskLoad(bp, last, Vector512<float>.Zero) : Vector512.Load(bp);
            var b1 = vectors == 2 ? Avx512F.MaskLoad(bp + 16, last, Vector512<float>.Zero) : vectors > 2 ? Vector512.Load(bp + 16) : default;
            var b2 = vectors == 3 ? Avx512F.MaskLoad(bp + 32, last, Vector512<float>.Zero) : vectors > 3 ? Vector512.Load(bp + 32) : default;
            var b3 = vectors == 4 ? Avx512F.MaskLoad(bp + 48, last, Vector512<float>.Zero) : default;
            long o = (long)p * stepStride;
            var v = Vector512.Create(a0[o]);
            c00 = Vector512.FusedMultiplyAdd(v, b0, c00);
            if (vectors > 1) { c01 = Vector512.FusedMultiplyAdd(v, b1, c01); }
            if (vectors > 2) { c02 = Vector512.FusedMultiplyAdd(v, b2, c02); }
            if (vectors > 3) { c03 = Vector512.FusedMultiplyAdd(v, b3, c03); }
            if (rows > 1)
            {
                v = Vector512.Create(a1[o]);
                c10 = Vector512.FusedMultiplyAdd(v, b0, c10);
                if (vectors > 1) { c11 = Vector512.FusedMultiplyAdd(v, b1, c11); }
                if (vectors > 2) { c12 = Vector512.FusedMultiplyAdd(v, b2, c12); }
                if (vectors > 3) { c13 = Vector512.FusedMultiplyAdd(v, b3, c13); }
            }

            if (rows > 2)
            {
                v = Vector512.Create(a2[o]);
                c20 = Vector512.FusedMultiplyAdd(v, b0, c20);
                if (vectors > 1) { c21 = Vector512.FusedMultiplyAdd(v, b1, c21); }
                if (vectors > 2) { c22 = Vector512.FusedMultiplyAdd(v, b2, c22); }
                if (vectors > 3) { c23 = Vector512.FusedMultiplyAdd(v, b3, c23); }
            }

            if (rows > 3)
            {
                v = Vector512.Create(a3[o]);
                c30 = Vector512.FusedMultiplyAdd(v, b0, c30);
                if (vectors > 1) { c31 = Vector512.FusedMultiplyAdd(v, b1, c31); }
                if (vectors > 2) { c32 = Vector512.FusedMultiplyAdd(v, b2, c32); }
                if (vectors > 3) { c33 = Vector512.FusedMultiplyAdd(v, b3, c33); }
            }

            if (rows > 4)
            {
                v = Vector512.Create(a4[o]);
                c40 = Vector512.FusedMultiplyAdd(v, b0, c40);
                if (vectors > 1) { c41 = Vector512.FusedMultiplyAdd(v, b1, c41); }
                if (vectors > 2) { c42 = Vector512.FusedMultiplyAdd(v, b2, c42); }
                if (vectors > 3) { c43 = Vector512.FusedMultiplyAdd(v, b3, c43); }
            }

            if (rows > 5)
            {
                v = Vector512.Create(a5[o]);
                c50 = Vector512.FusedMultiplyAdd(v, b0, c50);
                if (vectors > 1) { c51 = Vector512.FusedMultiplyAdd(v, b1, c51); }
                if (vectors > 2) { c52 = Vector512.FusedMultiplyAdd(v, b2, c52); }
                if (vectors > 3) { c53 = Vector512.FusedMultiplyAdd(v, b3, c53); }
            }
        }

        float alpha = t.Alpha, beta = t.Beta;
        float* c = t.C;
        long ldc = t.Ldc;
        Finish(c00, c, m0, alpha, beta);
        if (vectors > 1) { Finish(c01, c + 16, m1, alpha, beta); }
        if (vectors > 2) { Finish(c02, c + 32, m2, alpha, beta); }
        if (vectors > 3) { Finish(c03, c + 48, m3, alpha, beta); }
        if (rows > 1)
        {
            c += ldc;
            Finish(c10, c, m0, alpha, beta);
            if (vectors > 1) { Finish(c11, c + 16, m1, alpha, beta); }
            if (vectors > 2) { Finish(c12, c + 32, m2, alpha, beta); }
            if (vectors > 3) { Finish(c13, c + 48, m3, alpha, beta); }
        }

        if (rows > 2)
        {
            c += ldc;
            Finish(c20, c, m0, alpha, beta);
            if (vectors > 1) { Finish(c21, c + 16, m1, alpha, beta); }
            if (vectors > 2) { Finish(c22, c + 32, m2, alpha, beta); }
            if (vectors > 3) { Finish(c23, c + 48, m3, alpha, beta); }
        }

        if (rows > 3)
        {
            c += ldc;
            Finish(c30, c, m0, alpha, beta);
            if (vectors > 1) { Finish(c31, c + 16, m1, alpha, beta); }
            if (vectors > 2) { Finish(c32, c + 32, m2, alpha, beta); }
            if (vectors > 3) { Finish(c33, c + 48, m3, alpha, beta); }
        }

        if (rows > 4)
        {
            c += ldc;
            Finish(c40, c, m0, alpha, beta);
            if (vectors > 1) { Finish(c41, c + 16, m1, alpha, beta); }
            if (vectors > 2) { Finish(c42, c + 32, m2, alpha, beta); }
            if (vectors > 3) { Finish(c43, c + 48, m3, alpha, beta); }
        }

        if (rows > 5)
        {
            c += ldc;
            Finish(c50, c, m0, alpha, beta);
            if (vectors > 1) { Finish(c51, c + 16, m1, alpha, beta); }
            if (vectors > 2) { Finish(c52, c + 32, m2, alpha, beta); }
            if (vectors > 3) { Finish(c53, c + 48, m3, alpha, beta); }
        }
    }
}
