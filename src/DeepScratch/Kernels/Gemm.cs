using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace DeepScratch.Kernels;

/// <summary>
/// The single entry point for every matrix product in DeepScratch:
/// <c>C = alpha * op(A) * op(B) + beta * C</c>, float32, row-major.
/// B is packed into 16-column panels and register tiles are computed by the micro-kernels, over row blocks spread
/// across the cores: 6 x 32 tiles on AVX-512 + FMA processors (12 x 32 on packed A panels when n ≥ 128,
/// <see cref="PackedAGemm"/>; few rows or a narrow B straight from B unpacked, <see cref="UnpackedBGemm"/>), 6 x 16 tiles on
/// AVX2 + FMA, and TensorPrimitives row loops elsewhere (see <see cref="KernelName"/>). Every path sums each element
/// the same way, so results are bit-identical whatever the thread count, the path or the number of rows.
/// </summary>
public static unsafe class Gemm
{
    /// <summary>Below this many multiply-adds the work stays on one thread: waking workers costs more than it saves.</summary>
    internal const long ParallelThreshold = 1L << 20;

    /// <summary>
    /// Longest k run per pass. SimpleConvNet's 4320 -> 100 layer runs in 6 chunks of 720 (322 KB of packed B, kept in
    /// the level-2 cache while every row tile streams it): 4% faster than chunks of 384, which re-add C and set up each
    /// tile more often than the cache needs. Not longer: the MLP's k = 784 stays in two chunks, whose partial sums meeting
    /// as +∞ and −∞ is how overflowing weights are diagnosed (WeightLayoutCliTests).
    /// </summary>
    internal const int MaxChunk = 768;

    /// <summary>Bytes of packed B one column block may span (half a typical level-2 cache).</summary>
    internal const int MaxPanelBytes = 512 * 1024;

    /// <summary>
    /// Rows per unit of parallel work, before the blocks are rounded to whole tiles: 512³ runs as one block per core (252
    /// and 260 rows), where 192 made 4 blocks of 120 to 132 that two cores could not share evenly (4% slower); 2048³
    /// (8 blocks of 252-264 rows instead of 12 of 168-180) measured 2-3% faster too.
    /// </summary>
    private const int MaxBlockRows = 256;

    /// <summary>Per-thread buffer for A rows that must be converted (transposed, or bytes) before the kernel reads them.</summary>
    [ThreadStatic]
    private static float[]? t_aBuffer;

    /// <summary>The kernels this machine runs, chosen once at start-up from what the processor supports.</summary>
    internal static KernelSet Kernels { get; } =
        Vector512.IsHardwareAccelerated && System.Runtime.Intrinsics.X86.Fma.IsSupported ? KernelSet.Avx512
        : Vector256.IsHardwareAccelerated && System.Runtime.Intrinsics.X86.Fma.IsSupported ? KernelSet.Avx2
        : KernelSet.Portable;

    /// <summary>Which kernels run on this machine, for benchmark reports.</summary>
    public static string KernelName => Kernels switch
    {
        KernelSet.Avx512 => "AVX-512 6x32 micro-kernel, 12x32 on packed A when n >= 128, 6x64 tiles from unpacked B for 1-5 rows or n <= 128 with k*n <= 64K (AVX2 + FMA for single rows of packed B)",
        KernelSet.Avx2 => "AVX2 + FMA 6x16 micro-kernel",
        _ => "portable (TensorPrimitives)",
    };

    /// <summary>
    /// Computes <c>C = alpha * op(A) * op(B) + beta * C</c> where op(A) is m x k, op(B) is k x n and C is m x n.
    /// </summary>
    /// <param name="transA">Whether A is stored as k x m and used transposed.</param>
    /// <param name="transB">Whether B is stored as n x k and used transposed.</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">A's storage, row-major.</param>
    /// <param name="lda">Distance between A's stored rows.</param>
    /// <param name="b">B's storage, row-major.</param>
    /// <param name="ldb">Distance between B's stored rows.</param>
    /// <param name="beta">Scale of C's previous contents; 0 ignores them (even NaN).</param>
    /// <param name="c">C's storage, row-major.</param>
    /// <param name="ldc">Distance between C's rows.</param>
    public static void Multiply(
        Transpose transA, Transpose transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc)
    {
        CheckOperand("A", transA == Transpose.No ? m : k, transA == Transpose.No ? k : m, a.Length, lda);
        CheckOperand("B", transB == Transpose.No ? k : n, transB == Transpose.No ? n : k, b.Length, ldb);
        CheckOperand("C", m, n, c.Length, ldc);
        if (m == 0 || n == 0)
        {
            return;
        }

        if (k == 0)
        {
            for (int i = 0; i < m; i++)
            {
                var row = c.Slice(i * ldc, n);
                if (beta == 0f)
                {
                    row.Clear();
                }
                else
                {
                    TensorPrimitives.Multiply(row, beta, row);
                }
            }

            return;
        }

        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            if (Kernels == KernelSet.Portable)
            {
                RunPortable(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
                return;
            }

            // A few rows use each element of B at most five times, and a narrow B stays in the cache as it is:
            // multiplying from B in place beats packing it.
            if (UnpackedBGemm.Applies(Kernels, transB, m, n, k))
            {
                UnpackedBGemm.Multiply(m, n, k, alpha, pa, transA == Transpose.No ? lda : 1, transA == Transpose.No ? 1 : lda, pb, ldb, beta, pc, ldc);
                return;
            }

            var packed = PanelPacking.Pack(pb, ldb, transB, k, n);
            fixed (float* pp = &packed.Data[packed.Offset])
            {
                var source = transA == Transpose.No ? MatrixSource.RowMajor(pa, lda) : MatrixSource.Transposed(pa, lda);
                Run(new Operation(m, n, k, source, packed, pp, alpha, beta, pc, ldc, null, Activation.None), Kernels);
            }
        }
    }

    /// <summary>
    /// <c>C = alpha * op(A) * B + beta * C</c> with B already packed (<see cref="PackedMatrix.Pack"/>, k x n): for
    /// weights reused by many products, packed once instead of on every call. Needs the fast kernels
    /// (<see cref="HasFastKernels"/>); the portable path multiplies unpacked operands.
    /// </summary>
    /// <exception cref="InvalidOperationException">This machine runs the portable kernels.</exception>
    internal static void MultiplyPacked(Transpose transA, int m, float alpha, ReadOnlySpan<float> a, int lda, PackedMatrix b,
        float beta, Span<float> c, int ldc)
    {
        if (!HasFastKernels)
        {
            throw new InvalidOperationException("Packed operands need the AVX2 or AVX-512 kernels; the portable path takes B unpacked.");
        }

        int n = b.Columns, k = b.Rows;
        CheckOperand("A", transA == Transpose.No ? m : k, transA == Transpose.No ? k : m, a.Length, lda);
        CheckOperand("C", m, n, c.Length, ldc);
        if (m == 0 || n == 0 || k == 0)
        {
            Multiply(transA, Transpose.No, m, n, k, alpha, a, lda, [], Math.Max(n, 1), beta, c, ldc);
            return;
        }

        fixed (float* pa = a)
        fixed (float* pp = &b.Data[b.Offset])
        fixed (float* pc = c)
        {
            var source = transA == Transpose.No ? MatrixSource.RowMajor(pa, lda) : MatrixSource.Transposed(pa, lda);
            Run(new Operation(m, n, k, source, b, pp, alpha, beta, pc, ldc, null, Activation.None), Kernels);
        }
    }

    /// <summary>
    /// Whether <see cref="Multiply"/> reads this product's B in place rather than packing it, so a caller holding B for
    /// many products gains nothing from packing it first.
    /// </summary>
    internal static bool ReadsInPlace(Transpose transB, int m, int n, int k) => UnpackedBGemm.Applies(Kernels, transB, m, n, k);

    /// <summary>Whether the AVX2 or AVX-512 kernels run here (packed operands are theirs).</summary>
    internal static bool HasFastKernels => Kernels != KernelSet.Portable;

    /// <summary>
    /// Runs one operation on the fast kernels: row blocks in parallel when the work is large, each block running
    /// its k chunks in order, so every element sees the same arithmetic whichever thread computes it.
    /// </summary>
    internal static void Run(in Operation op) => Run(op, Kernels == KernelSet.Portable ? KernelSet.Avx2 : Kernels);

    /// <summary><see cref="Run(in Operation)"/> on a chosen kernel set (tests compare them on the same machine).</summary>
    internal static void Run(in Operation op, KernelSet kernels)
    {
        if (op.K < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(op), "The fast path needs k ≥ 1; Multiply handles k = 0 itself.");
        }

        if (op.Activation == Activation.Softmax && op.N > PackedMatrix.PanelWidth)
        {
            throw new ArgumentOutOfRangeException(nameof(op), $"A fused softmax needs whole rows in one panel (n ≤ {PackedMatrix.PanelWidth}); n is {op.N}.");
        }

        int chunks = (op.K + MaxChunk - 1) / MaxChunk;
        long work = (long)op.M * op.N * op.K;
        int threads = Environment.ProcessorCount;
        if (work < ParallelThreshold || threads < 2 || op.M <= MicroKernels.Rows)
        {
            RunBlock(op, 0, op.M, chunks, kernels);
            return;
        }

        // A multiple of the thread count of equal blocks keeps the cores equally busy. Blocks start on whole tiles of
        // the kernel that computes them: 2048 rows in blocks of 171 left 3 rows per block to a narrower kernel (5% of
        // a 2048³ product), where tile-aligned blocks of 168 or 180 rows leave 8 rows in all.
        int blocks = threads * Math.Max(1, (op.M + threads * MaxBlockRows - 1) / (threads * MaxBlockRows));
        int unit = PackedAGemm.Applies(op, op.M, kernels) ? PackedAGemm.TileRows
            : kernels != KernelSet.Avx512 ? MicroKernels.Rows
            // The AVX-512 kernels compute a block's last 1 to 5 rows at their own cost, so blocks need not be whole
            // tiles: equal blocks (50 + 50 rows for a batch of 100, not 54 + 46) keep both cores busy to the end.
            : 1;
        blocks = Math.Min(blocks, (op.M + unit - 1) / unit);
        if (blocks < 2)
        {
            RunBlock(op, 0, op.M, chunks, kernels);
            return;
        }

        WorkerPool.Run(op, blocks, unit, chunks, kernels);
    }

    /// <summary>
    /// Runs share <paramref name="block"/> of <paramref name="blocks"/> of the rows, in whole units of <paramref name="unit"/>
    /// rows (<see cref="WorkerPool.ShareOf"/>).
    /// </summary>
    internal static void RunShare(in Operation op, int block, int blocks, int unit, int chunks, KernelSet kernels)
    {
        var (start, end) = WorkerPool.ShareOf(op.M, unit, block, blocks);
        if (start < end)
        {
            RunBlock(op, start, end, chunks, kernels);
        }
    }

    /// <summary>Runs row block <paramref name="block"/> of an operation split into blocks of <paramref name="blockRows"/> rows.</summary>
    internal static void RunRowBlock(in Operation op, int block, int blockRows, int chunks, KernelSet kernels)
    {
        int start = block * blockRows;
        RunBlock(op, start, Math.Min(op.M, start + blockRows), chunks, kernels);
    }

    private static void RunBlock(in Operation op, int start, int end, int chunks, KernelSet kernels)
    {
        // A sigmoid runs over the block's finished rows, in a loop of independent vectors: fused into each tile's
        // store, one vector at a time, it waited on its own latency (a fifth of the MLP's time).
        if (op.Activation == Activation.Sigmoid)
        {
            RunBlock(op.WithActivation(Activation.None), start, end, chunks, kernels);
            VectorMath.SigmoidRows(op.C + (long)start * op.Ldc, op.Ldc, end - start, op.N);
            return;
        }

        if (PixelRows.Applies(op, kernels))
        {
            PixelRows.Run(op, start, end, chunks);
            return;
        }

        int rows = end - start;
        if (PackedAGemm.Applies(op, rows, kernels))
        {
            // Whole tiles on packed A panels; the last rows mod the tile height go on below, A in place.
            start += PackedAGemm.RunRows(op, start, rows, chunks);
            rows = end - start;
            if (rows == 0)
            {
                return;
            }
        }

        float* a;
        int lda;
        if (op.A.Kind == SourceKind.Floats)
        {
            a = op.A.Floats + (long)start * op.A.Stride;
            lda = op.A.Stride;
        }
        else
        {
            var buffer = t_aBuffer is { } existing && existing.Length >= rows * op.K ? existing : t_aBuffer = new float[Math.Max(rows, MaxBlockRows) * op.K];
            fixed (float* converted = buffer)
            {
                op.A.CopyRows(start, rows, op.K, converted);
                // Zero-skipping is exact only for a finite B (0·NaN = NaN): without that, the dense loop runs.
                byte* pixels = op.A.Kind == SourceKind.PixelBytes && op.SkipZeroSteps ? op.A.Bytes + (long)start * op.A.Stride : null;
                RunConverted(op, converted, op.K, start, rows, chunks, kernels, pixels);
            }

            return;
        }

        RunConverted(op, a, lda, start, rows, chunks, kernels, null);
    }

    /// <summary>
    /// Runs the tiles of one row block whose A rows are row-major floats. When <c>pixels</c> (the same rows as stored
    /// bytes) is given, k steps where a whole tile of pixels is 0 are skipped (about 58% of them in MNIST): adding 0·b
    /// changes no sum when b is finite, so the results equal the dense product's (up to the sign of a zero). The caller
    /// passes pixels only when <see cref="Operation.SkipZeroSteps"/> says B was checked finite at pack time.
    /// </summary>
    private static void RunConverted(in Operation op, float* a, int lda, int start, int rows, int chunks, KernelSet kernels, byte* pixels)
    {
        int* steps = stackalloc int[MaxChunk];
        int panels = (op.N + PackedMatrix.PanelWidth - 1) / PackedMatrix.PanelWidth;
        int panelStride = op.K * PackedMatrix.PanelWidth;
        int chunkLength = (op.K + chunks - 1) / chunks;
        int tileHeight = kernels == KernelSet.Avx512 ? MicroKernels512.Rows : MicroKernels.Rows;
        for (int pc = 0; pc < op.K; pc += chunkLength)
        {
            int kc = Math.Min(chunkLength, op.K - pc);
            bool last = pc + kc == op.K;
            float beta = pc == 0 ? op.Beta : 1f;
            var activation = last ? op.Activation : Activation.None;
            float* bChunk = op.PackedB + pc * PackedMatrix.PanelWidth;

            // Column blocks sized so that their slice of packed B stays in the level-2 cache while every row tile uses it.
            int blockPanels = Math.Max(2, MaxPanelBytes / (kc * PackedMatrix.PanelWidth * sizeof(float)) / 2 * 2);
            for (int q0 = 0; q0 < panels; q0 += blockPanels)
            {
                int q1 = Math.Min(panels, q0 + blockPanels);
                for (int r = 0; r < rows; r += tileHeight)
                {
                    int tileRows = Math.Min(tileHeight, rows - r);
                    float* aRows = a + (long)r * lda + pc;
                    float* cRow = op.C + (long)(start + r) * op.Ldc;
                    int count = pixels != null ? NonZeroSteps(pixels + (long)r * op.A.Stride + pc, op.A.Stride, tileRows, kc, steps) : kc;

                    if (pixels != null)
                    {
                        RunTile(new ListedSteps(steps), count, op, kernels, aRows, lda, tileRows, bChunk, panelStride, panels, cRow, q0, q1, beta, last, activation);
                    }
                    else
                    {
                        RunTile(default(AllSteps), kc, op, kernels, aRows, lda, tileRows, bChunk, panelStride, panels, cRow, q0, q1, beta, last, activation);
                    }
                }
            }
        }
    }

    /// <summary>One tile row of C over columns panels [q0, q1), on the kernels of <paramref name="kernels"/>.</summary>
    private static void RunTile<TSteps>(TSteps steps, int count, in Operation op, KernelSet kernels, float* aRows, int lda, int tileRows,
        float* bChunk, int panelStride, int panels, float* cRow, int q0, int q1, float beta, bool last, Activation activation)
        where TSteps : struct, IKSteps
    {
        if (tileRows == 1)
        {
            if (q0 == 0)
            {
                MicroKernels.Row(count, steps, aRows, bChunk, panelStride, panels, cRow, op.N, new TileEpilogue(op.Alpha, beta, last ? op.Bias : null, activation));
            }

            return;
        }

        if (kernels == KernelSet.Avx512)
        {
            switch (tileRows)
            {
                case 2: RunTile512<TSteps, TwoRows>(steps, count, op, aRows, lda, bChunk, panelStride, panels, cRow, q0, q1, beta, last, activation); break;
                case 3: RunTile512<TSteps, ThreeRows>(steps, count, op, aRows, lda, bChunk, panelStride, panels, cRow, q0, q1, beta, last, activation); break;
                case 4: RunTile512<TSteps, FourRows>(steps, count, op, aRows, lda, bChunk, panelStride, panels, cRow, q0, q1, beta, last, activation); break;
                case 5: RunTile512<TSteps, FiveRows>(steps, count, op, aRows, lda, bChunk, panelStride, panels, cRow, q0, q1, beta, last, activation); break;
                default: RunTile512<TSteps, SixRows>(steps, count, op, aRows, lda, bChunk, panelStride, panels, cRow, q0, q1, beta, last, activation); break;
            }

            return;
        }

        for (int q = q0; q < q1; q++)
        {
            int j0 = q * PackedMatrix.PanelWidth;
            var e = new TileEpilogue(op.Alpha, beta, last && op.Bias != null ? op.Bias + j0 : null, activation);
            MicroKernels.Tile6x16(count, steps, aRows, lda, tileRows, bChunk + q * panelStride, cRow + j0, op.Ldc, Math.Min(PackedMatrix.PanelWidth, op.N - j0), e);
        }
    }

    /// <summary>
    /// One tile row of <typeparamref name="TRows"/> rows on the AVX-512 kernels: two panels at a time, a last odd panel
    /// alone, in 8-float registers when at most 8 of its columns are in use.
    /// </summary>
    private static void RunTile512<TSteps, TRows>(TSteps steps, int count, in Operation op, float* aRows, int lda,
        float* bChunk, int panelStride, int panels, float* cRow, int q0, int q1, float beta, bool last, Activation activation)
        where TSteps : struct, IKSteps
        where TRows : struct, IRowCount
    {
        for (int q = q0; q < q1; q += 2)
        {
            int j0 = q * PackedMatrix.PanelWidth;
            var e = new TileEpilogue(op.Alpha, beta, last && op.Bias != null ? op.Bias + j0 : null, activation);
            int cols = Math.Min(2 * PackedMatrix.PanelWidth, op.N - j0);
            if (q + 1 < panels)
            {
                MicroKernels512.Tile6x32<TSteps, TRows>(count, steps, aRows, lda, bChunk + q * panelStride, panelStride, cRow + j0, op.Ldc, cols, e);
            }
            else if (cols <= PackedMatrix.PanelWidth / 2)
            {
                MicroKernels512.Tile6x8<TSteps, TRows>(count, steps, aRows, lda, bChunk + q * panelStride, panelStride, cRow + j0, op.Ldc, cols, e);
            }
            else
            {
                MicroKernels512.Tile6x16<TSteps, TRows>(count, steps, aRows, lda, bChunk + q * panelStride, panelStride, cRow + j0, op.Ldc, cols, e);
            }
        }
    }

    /// <summary>Lists the k steps (relative to <paramref name="pixels"/>) where any of the tile's rows has a non-zero byte.</summary>
    private static int NonZeroSteps(byte* pixels, int stride, int rows, int kc, int* steps)
    {
        int count = 0;
        int p = 0;
        for (; p <= kc - 32; p += 32)
        {
            var any = Vector256.Load(pixels + p);
            for (int r = 1; r < rows; r++)
            {
                any |= Vector256.Load(pixels + (long)r * stride + p);
            }

            uint mask = ~Vector256.Equals(any, Vector256<byte>.Zero).ExtractMostSignificantBits();
            while (mask != 0)
            {
                steps[count++] = p + System.Numerics.BitOperations.TrailingZeroCount(mask);
                mask &= mask - 1;
            }
        }

        for (; p < kc; p++)
        {
            int any = 0;
            for (int r = 0; r < rows; r++)
            {
                any |= pixels[(long)r * stride + p];
            }

            if (any != 0)
            {
                steps[count++] = p;
            }
        }

        return count;
    }

    private static void RunPortable(Transpose transA, Transpose transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        long work = (long)m * n * k;
        int threads = Math.Min(Environment.ProcessorCount, m);
        if (work < ParallelThreshold || threads < 2)
        {
            PortableGemm.Rows(transA, transB, n, k, alpha, a, lda, b, ldb, beta, c, ldc, 0, m);
            return;
        }

        int chunk = (m + threads - 1) / threads;
        nint pa = (nint)a, pb = (nint)b, pc = (nint)c;
        Parallel.For(0, threads, t =>
        {
            int start = t * chunk;
            int end = Math.Min(m, start + chunk);
            if (start < end)
            {
                PortableGemm.Rows(transA, transB, n, k, alpha, (float*)pa, lda, (float*)pb, ldb, beta, (float*)pc, ldc, start, end);
            }
        });
    }

    private static void CheckOperand(string name, int rows, int cols, int length, int ld)
    {
        if (rows < 0 || cols < 0)
        {
            throw new ArgumentOutOfRangeException(name, $"GEMM operand {name} has a negative dimension ({rows} x {cols}).");
        }

        if (rows > 0 && cols > 0 && (ld < cols || (long)(rows - 1) * ld + cols > length))
        {
            throw new ArgumentException(
                $"GEMM operand {name} ({rows} x {cols}, leading dimension {ld}) does not fit in its {length} elements.", name);
        }
    }
}
