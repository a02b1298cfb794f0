using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DeepScratch.Kernels;

/// <summary>
/// The AVX2 + FMA micro-kernels: a 6 x 16 tile held in twelve 8-float registers while the k loop streams one packed B
/// panel and broadcasts six rows of A. Every output element is summed in the same order (p ascending from a zero
/// accumulator) by every kernel here, so results never depend on how rows are split between kernels or threads.
/// </summary>
internal static unsafe class MicroKernels
{
    /// <summary>Rows of the register tile.</summary>
    public const int Rows = 6;

    /// <summary>Columns of the register tile (one packed panel).</summary>
    public const int Columns = PackedMatrix.PanelWidth;

    /// <summary>
    /// C[0..rows, 0..cols] ⟵ epilogue(alpha · A·B (+ beta · C)) for one 6 x 16 tile. A's rows start at
    /// <paramref name="a"/> with stride <paramref name="lda"/>; rows past <paramref name="rows"/> repeat the last row
    /// and are discarded. B is one packed panel (kc x 16).
    /// </summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile6x16<TSteps>(int kc, TSteps steps, float* a, int lda, int rows, float* b, float* c, int ldc, int cols, in TileEpilogue e)
        where TSteps : struct, IKSteps
    {
        float* a0 = a;
        float* a1 = a + (rows > 1 ? lda : 0);
        float* a2 = a + (rows > 2 ? 2 * lda : 0);
        float* a3 = a + (rows > 3 ? 3 * lda : 0);
        float* a4 = a + (rows > 4 ? 4 * lda : 0);
        float* a5 = a + (rows > 5 ? 5 * lda : 0);
        var c00 = Vector256<float>.Zero; var c01 = Vector256<float>.Zero;
        var c10 = Vector256<float>.Zero; var c11 = Vector256<float>.Zero;
        var c20 = Vector256<float>.Zero; var c21 = Vector256<float>.Zero;
        var c30 = Vector256<float>.Zero; var c31 = Vector256<float>.Zero;
        var c40 = Vector256<float>.Zero; var c41 = Vector256<float>.Zero;
        var c50 = Vector256<float>.Zero; var c51 = Vector256<float>.Zero;
        for (int t = 0; t < kc; t++)
        {
            int p = steps[t];
            var b0 = Vector256.Load(b + p * Columns);
            var b1 = Vector256.Load(b + p * Columns + 8);
            var v = Vector256.Create(a0[p]);
            c00 = Vector256.FusedMultiplyAdd(v, b0, c00); c01 = Vector256.FusedMultiplyAdd(v, b1, c01);
            v = Vector256.Create(a1[p]);
            c10 = Vector256.FusedMultiplyAdd(v, b0, c10); c11 = Vector256.FusedMultiplyAdd(v, b1, c11);
            v = Vector256.Create(a2[p]);
            c20 = Vector256.FusedMultiplyAdd(v, b0, c20); c21 = Vector256.FusedMultiplyAdd(v, b1, c21);
            v = Vector256.Create(a3[p]);
            c30 = Vector256.FusedMultiplyAdd(v, b0, c30); c31 = Vector256.FusedMultiplyAdd(v, b1, c31);
            v = Vector256.Create(a4[p]);
            c40 = Vector256.FusedMultiplyAdd(v, b0, c40); c41 = Vector256.FusedMultiplyAdd(v, b1, c41);
            v = Vector256.Create(a5[p]);
            c50 = Vector256.FusedMultiplyAdd(v, b0, c50); c51 = Vector256.FusedMultiplyAdd(v, b1, c51);
        }

        // Park the accumulators before any call: a vector live across a call is spilled on every loop iteration.
        float* tile = stackalloc float[Rows * Columns];
        c00.Store(tile); c01.Store(tile + 8); c10.Store(tile + 16); c11.Store(tile + 24);
        c20.Store(tile + 32); c21.Store(tile + 40); c30.Store(tile + 48); c31.Store(tile + 56);
        c40.Store(tile + 64); c41.Store(tile + 72); c50.Store(tile + 80); c51.Store(tile + 88);
        for (int r = 0; r < rows; r++)
        {
            StoreSixteen(Vector256.Load(tile + r * Columns), Vector256.Load(tile + r * Columns + 8), c + r * ldc, cols, e);
        }
    }

    /// <summary>
    /// One row of A against up to four panels at once (eight accumulators, enough to hide the FMA latency): the
    /// kernel for single images, where a 6-row tile would waste five sixths of its work.
    /// </summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Row<TSteps>(int kc, TSteps steps, float* a, float* b, int panelStride, int panels, float* c, int cols, in TileEpilogue e)
        where TSteps : struct, IKSteps
    {
        float* parked = stackalloc float[4 * Columns];
        int q = 0;
        for (; q + 4 <= panels; q += 4)
        {
            float* p0 = b + q * panelStride;
            float* p1 = p0 + panelStride;
            float* p2 = p1 + panelStride;
            float* p3 = p2 + panelStride;
            var x0 = Vector256<float>.Zero; var x1 = Vector256<float>.Zero;
            var y0 = Vector256<float>.Zero; var y1 = Vector256<float>.Zero;
            var z0 = Vector256<float>.Zero; var z1 = Vector256<float>.Zero;
            var w0 = Vector256<float>.Zero; var w1 = Vector256<float>.Zero;
            for (int t = 0; t < kc; t++)
            {
                int p = steps[t];
                var v = Vector256.Create(a[p]);
                int o = p * Columns;
                x0 = Vector256.FusedMultiplyAdd(v, Vector256.Load(p0 + o), x0); x1 = Vector256.FusedMultiplyAdd(v, Vector256.Load(p0 + o + 8), x1);
                y0 = Vector256.FusedMultiplyAdd(v, Vector256.Load(p1 + o), y0); y1 = Vector256.FusedMultiplyAdd(v, Vector256.Load(p1 + o + 8), y1);
                z0 = Vector256.FusedMultiplyAdd(v, Vector256.Load(p2 + o), z0); z1 = Vector256.FusedMultiplyAdd(v, Vector256.Load(p2 + o + 8), z1);
                w0 = Vector256.FusedMultiplyAdd(v, Vector256.Load(p3 + o), w0); w1 = Vector256.FusedMultiplyAdd(v, Vector256.Load(p3 + o + 8), w1);
            }

            // Park the accumulators before any call (see Tile6x16).
            x0.Store(parked); x1.Store(parked + 8); y0.Store(parked + 16); y1.Store(parked + 24);
            z0.Store(parked + 32); z1.Store(parked + 40); w0.Store(parked + 48); w1.Store(parked + 56);
            for (int i = 0; i < 4; i++)
            {
                StoreRowAt(Vector256.Load(parked + i * Columns), Vector256.Load(parked + i * Columns + 8), c, q + i, cols, e);
            }
        }

        for (; q < panels; q++)
        {
            float* p0 = b + q * panelStride;
            var x0 = Vector256<float>.Zero; var x1 = Vector256<float>.Zero;
            for (int t = 0; t < kc; t++)
            {
                int p = steps[t];
                var v = Vector256.Create(a[p]);
                x0 = Vector256.FusedMultiplyAdd(v, Vector256.Load(p0 + p * Columns), x0);
                x1 = Vector256.FusedMultiplyAdd(v, Vector256.Load(p0 + p * Columns + 8), x1);
            }

            StoreRowAt(x0, x1, c, q, cols, e);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRowAt(Vector256<float> lo, Vector256<float> hi, float* cRow, int panel, int cols, in TileEpilogue e) =>
        StoreSixteen(lo, hi, cRow + panel * Columns, Math.Min(Columns, cols - panel * Columns), e.Shifted(panel * Columns));

    /// <summary>Finishes 16 accumulated values and stores the first <paramref name="width"/> of them to C.</summary>
    // A call, never inlined: inlined, its branches put calls inside the kernels' loops, and the JIT then spills
    // their accumulators on every iteration (the 1-row kernel ran 40% slower).
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void StoreSixteen(Vector256<float> lo, Vector256<float> hi, float* c, int width, in TileEpilogue e)
    {
        if (e.Activation == Activation.Softmax)
        {
            StoreSoftmaxRow(lo, hi, c, width, e);
            return;
        }

        if (width == Columns)
        {
            StoreRow(lo, hi, c, e);
            return;
        }

        StorePartialRow(lo, hi, c, width, e);
    }

    /// <summary>A whole output row in one panel: alpha, beta and bias as usual, then the row's softmax, then the store.</summary>
    // Optimised from the first call, as the kernels calling it are: tiering would run it unoptimised for a while.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StoreSoftmaxRow(Vector256<float> lo, Vector256<float> hi, float* c, int width, in TileEpilogue e)
    {
        var (m0, m1) = Masks(width);
        var plain = new TileEpilogue(e.Alpha, e.Beta, e.Bias, Activation.None);
        Finish(ref lo, Previous(c, m0, e), 0, plain);
        Finish(ref hi, Previous(c + 8, m1, e), 8, plain);
        VectorMath.Softmax16(ref lo, ref hi, width);
        MaskedLanes.Store(c, m0, lo);
        MaskedLanes.Store(c + 8, m1, hi);
    }

    /// <summary>Finishes 16 accumulated values and stores them to a full row of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(Vector256<float> lo, Vector256<float> hi, float* c, in TileEpilogue e)
    {
        Finish(ref lo, e.Beta != 0f ? Vector256.Load(c) : default, 0, e);
        Finish(ref hi, e.Beta != 0f ? Vector256.Load(c + 8) : default, 8, e);
        lo.Store(c);
        hi.Store(c + 8);
    }

    /// <summary>alpha·acc (+ beta·<paramref name="previous"/>, C's old values, read only when beta is not 0) (+ bias), then the activation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(ref Vector256<float> acc, Vector256<float> previous, int biasOffset, in TileEpilogue e)
    {
        if (e.Alpha != 1f)
        {
            acc *= Vector256.Create(e.Alpha);
        }

        if (e.Beta == 1f)
        {
            acc += previous;
        }
        else if (e.Beta != 0f)
        {
            acc = Vector256.FusedMultiplyAdd(Vector256.Create(e.Beta), previous, acc);
        }

        if (e.Bias != null)
        {
            acc += Vector256.Load(e.Bias + biasOffset);
        }

        // Kept small enough to inline: the GEMM runs a sigmoid after the block (Gemm.RunBlock), so here it is only a call.
        if (e.Activation == Activation.Relu)
        {
            acc = Vector256.Max(acc, Vector256<float>.Zero);
        }
        else if (e.Activation == Activation.Sigmoid)
        {
            acc = Sigmoid(acc);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Vector256<float> Sigmoid(Vector256<float> x) => VectorMath.Sigmoid(x);

    /// <summary>Stores the first <paramref name="cols"/> of 16 accumulated values (a tile at C's right edge).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StorePartialRow(Vector256<float> lo, Vector256<float> hi, float* c, int cols, in TileEpilogue e)
    {
        var (m0, m1) = Masks(cols);
        Finish(ref lo, Previous(c, m0, e), 0, e);
        Finish(ref hi, Previous(c + 8, m1, e), 8, e);
        MaskedLanes.Store(c, m0, lo);
        MaskedLanes.Store(c + 8, m1, hi);
    }

    /// <summary>Lanes [0, width) of a 16-float row as two masks (all bits set where a lane is in use).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> Low, Vector256<float> High) Masks(int width) => (MaskedLanes.First(width), MaskedLanes.First(width - 8));

    /// <summary>C's old values under <paramref name="mask"/> (0 elsewhere), read only when beta is not 0; masked lanes are never touched.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Previous(float* c, Vector256<float> mask, in TileEpilogue e) =>
        e.Beta != 0f ? MaskedLanes.Load(c, mask) : default;
}
