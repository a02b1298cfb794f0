using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepScratch.Kernels;

/// <summary>
/// The AVX-512 micro-kernels: a 6 x 32 tile (two packed panels) in twelve 16-float registers, 6 x 16 for a last odd
/// panel, 6 x 8 in 8-float registers when that panel has at most 8 columns in use; each for exactly 1 to 6 rows. Each
/// output element is summed exactly as in <see cref="MicroKernels"/> (p ascending from zero, one FMA per step), so
/// results are bit-identical to the AVX2 kernels; only the width differs. Six rows: a 12 x 32 tile (24 of the 32
/// registers) measured no faster on SimpleConvNet's 4320 -> 100 layer, whose time is already near the FMA peak.
/// </summary>
internal static unsafe class MicroKernels512
{
    /// <summary>Rows of the register tile.</summary>
    public const int Rows = 6;

    private const int Panel = PackedMatrix.PanelWidth;

    /// <summary>
    /// C ⟵ epilogue(alpha · A·B (+ beta · C)) for a <typeparamref name="TRows"/> x 32 tile (over the k indices in
    /// <paramref name="steps"/> when given): rows past the count are neither loaded nor computed.
    /// </summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile6x32<TSteps, TRows>(int kc, TSteps steps, float* a, int lda, float* b, int panelStride, float* c, int ldc, int cols, in TileEpilogue e)
        where TSteps : struct, IKSteps
        where TRows : struct, IRowCount
    {
        int rows = TRows.Value;
        float* a0 = a + (rows > 0 ? 0 * lda : 0);
        float* a1 = a + (rows > 1 ? 1 * lda : 0);
        float* a2 = a + (rows > 2 ? 2 * lda : 0);
        float* a3 = a + (rows > 3 ? 3 * lda : 0);
        float* a4 = a + (rows > 4 ? 4 * lda : 0);
        float* a5 = a + (rows > 5 ? 5 * lda : 0);
        float* b0p = b;
        float* b1p = b + panelStride;
        var c00 = Vector512<float>.Zero; var c01 = Vector512<float>.Zero;
        var c10 = Vector512<float>.Zero; var c11 = Vector512<float>.Zero;
        var c20 = Vector512<float>.Zero; var c21 = Vector512<float>.Zero;
        var c30 = Vector512<float>.Zero; var c31 = Vector512<float>.Zero;
        var c40 = Vector512<float>.Zero; var c41 = Vector512<float>.Zero;
        var c50 = Vector512<float>.Zero; var c51 = Vector512<float>.Zero;
        for (int t = 0; t < kc; t++)
        {
            int p = steps[t];
            var b0 = Vector512.Load(b0p + p * Panel);
            var b1 = Vector512.Load(b1p + p * Panel);
            var v0 = Vector512.Create(a0[p]);
            c00 = Vector512.FusedMultiplyAdd(v0, b0, c00); c01 = Vector512.FusedMultiplyAdd(v0, b1, c01);

            if (TRows.Value > 1)
            {
                var v1 = Vector512.Create(a1[p]);
                c10 = Vector512.FusedMultiplyAdd(v1, b0, c10); c11 = Vector512.FusedMultiplyAdd(v1, b1, c11);
            }

            if (TRows.Value > 2)
            {
                var v2 = Vector512.Create(a2[p]);
                c20 = Vector512.FusedMultiplyAdd(v2, b0, c20); c21 = Vector512.FusedMultiplyAdd(v2, b1, c21);
            }

            if (TRows.Value > 3)
            {
                var v3 = Vector512.Create(a3[p]);
                c30 = Vector512.FusedMultiplyAdd(v3, b0, c30); c31 = Vector512.FusedMultiplyAdd(v3, b1, c31);
            }

            if (TRows.Value > 4)
            {
                var v4 = Vector512.Create(a4[p]);
                c40 = Vector512.FusedMultiplyAdd(v4, b0, c40); c41 = Vector512.FusedMultiplyAdd(v4, b1, c41);
            }

            if (TRows.Value > 5)
            {
                var v5 = Vector512.Create(a5[p]);
                c50 = Vector512.FusedMultiplyAdd(v5, b0, c50); c51 = Vector512.FusedMultiplyAdd(v5, b1, c51);
            }
        }

        // Park the accumulators before any call: a vector live across a call is spilled on every loop iteration.
        float* tile = stackalloc float[Rows * 2 * Panel];
        c00.Store(tile + 0); c01.Store(tile + 16);
        c10.Store(tile + 32); c11.Store(tile + 48);
        c20.Store(tile + 64); c21.Store(tile + 80);
        c30.Store(tile + 96); c31.Store(tile + 112);
        c40.Store(tile + 128); c41.Store(tile + 144);
        c50.Store(tile + 160); c51.Store(tile + 176);
        int width0 = Math.Min(Panel, cols - 0);
        var e0 = e.Shifted(0);
        Emit(tile + 0, c + 0 * ldc + 0, 0, rows, width0, e0);
        Emit(tile + 32, c + 1 * ldc + 0, 1, rows, width0, e0);
        Emit(tile + 64, c + 2 * ldc + 0, 2, rows, width0, e0);
        Emit(tile + 96, c + 3 * ldc + 0, 3, rows, width0, e0);
        Emit(tile + 128, c + 4 * ldc + 0, 4, rows, width0, e0);
        Emit(tile + 160, c + 5 * ldc + 0, 5, rows, width0, e0);
        int width1 = Math.Min(Panel, cols - 16);
        var e1 = e.Shifted(16);
        Emit(tile + 16, c + 0 * ldc + 16, 0, rows, width1, e1);
        Emit(tile + 48, c + 1 * ldc + 16, 1, rows, width1, e1);
        Emit(tile + 80, c + 2 * ldc + 16, 2, rows, width1, e1);
        Emit(tile + 112, c + 3 * ldc + 16, 3, rows, width1, e1);
        Emit(tile + 144, c + 4 * ldc + 16, 4, rows, width1, e1);
        Emit(tile + 176, c + 5 * ldc + 16, 5, rows, width1, e1);
    }

    /// <summary>C ⟵ epilogue(alpha · A·B (+ beta · C)) for a <typeparamref name="TRows"/> x 16 tile (a last odd panel).</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile6x16<TSteps, TRows>(int kc, TSteps steps, float* a, int lda, float* b, int panelStride, float* c, int ldc, int cols, in TileEpilogue e)
        where TSteps : struct, IKSteps
        where TRows : struct, IRowCount
    {
        int rows = TRows.Value;
        float* a0 = a + (rows > 0 ? 0 * lda : 0);
        float* a1 = a + (rows > 1 ? 1 * lda : 0);
        float* a2 = a + (rows > 2 ? 2 * lda : 0);
        float* a3 = a + (rows > 3 ? 3 * lda : 0);
        float* a4 = a + (rows > 4 ? 4 * lda : 0);
        float* a5 = a + (rows > 5 ? 5 * lda : 0);
        float* b0p = b;
        var c00 = Vector512<float>.Zero;
        var c10 = Vector512<float>.Zero;
        var c20 = Vector512<float>.Zero;
        var c30 = Vector512<float>.Zero;
        var c40 = Vector512<float>.Zero;
        var c50 = Vector512<float>.Zero;
        for (int t = 0; t < kc; t++)
        {
            int p = steps[t];
            var b0 = Vector512.Load(b0p + p * Panel);
            var v0 = Vector512.Create(a0[p]);
            c00 = Vector512.FusedMultiplyAdd(v0, b0, c00);

            if (TRows.Value > 1)
            {
                var v1 = Vector512.Create(a1[p]);
                c10 = Vector512.FusedMultiplyAdd(v1, b0, c10);
            }

            if (TRows.Value > 2)
            {
                var v2 = Vector512.Create(a2[p]);
                c20 = Vector512.FusedMultiplyAdd(v2, b0, c20);
            }

            if (TRows.Value > 3)
            {
                var v3 = Vector512.Create(a3[p]);
                c30 = Vector512.FusedMultiplyAdd(v3, b0, c30);
            }

            if (TRows.Value > 4)
            {
                var v4 = Vector512.Create(a4[p]);
                c40 = Vector512.FusedMultiplyAdd(v4, b0, c40);
            }

            if (TRows.Value > 5)
            {
                var v5 = Vector512.Create(a5[p]);
                c50 = Vector512.FusedMultiplyAdd(v5, b0, c50);
            }
        }

        // Park the accumulators before any call: a vector live across a call is spilled on every loop iteration.
        float* tile = stackalloc float[Rows * 2 * Panel];
        c00.Store(tile + 0);
        c10.Store(tile + 32);
        c20.Store(tile + 64);
        c30.Store(tile + 96);
        c40.Store(tile + 128);
        c50.Store(tile + 160);
        int width0 = Math.Min(Panel, cols - 0);
        var e0 = e.Shifted(0);
        Emit(tile + 0, c + 0 * ldc + 0, 0, rows, width0, e0);
        Emit(tile + 32, c + 1 * ldc + 0, 1, rows, width0, e0);
        Emit(tile + 64, c + 2 * ldc + 0, 2, rows, width0, e0);
        Emit(tile + 96, c + 3 * ldc + 0, 3, rows, width0, e0);
        Emit(tile + 128, c + 4 * ldc + 0, 4, rows, width0, e0);
        Emit(tile + 160, c + 5 * ldc + 0, 5, rows, width0, e0);
    }

    /// <summary>
    /// C ⟵ epilogue(alpha · A·B (+ beta · C)) for a <typeparamref name="TRows"/> x 8 tile: a last panel with at most 8
    /// columns in use (n = 100 leaves 4), in 8-float registers, which this processor issues at twice the rate of
    /// 16-float ones, so the panel's unused half costs nothing. Same FMA per element as the wider tiles.
    /// </summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile6x8<TSteps, TRows>(int kc, TSteps steps, float* a, int lda, float* b, int panelStride, float* c, int ldc, int cols, in TileEpilogue e)
        where TSteps : struct, IKSteps
        where TRows : struct, IRowCount
    {
        int rows = TRows.Value;
        float* a0 = a + (rows > 0 ? 0 * lda : 0);
        float* a1 = a + (rows > 1 ? 1 * lda : 0);
        float* a2 = a + (rows > 2 ? 2 * lda : 0);
        float* a3 = a + (rows > 3 ? 3 * lda : 0);
        float* a4 = a + (rows > 4 ? 4 * lda : 0);
        float* a5 = a + (rows > 5 ? 5 * lda : 0);
        float* b0p = b;
        var c00 = Vector256<float>.Zero;
        var c10 = Vector256<float>.Zero;
        var c20 = Vector256<float>.Zero;
        var c30 = Vector256<float>.Zero;
        var c40 = Vector256<float>.Zero;
        var c50 = Vector256<float>.Zero;
        for (int t = 0; t < kc; t++)
        {
            int p = steps[t];
            var b0 = Vector256.Load(b0p + p * Panel);
            var v0 = Vector256.Create(a0[p]);
            c00 = Vector256.FusedMultiplyAdd(v0, b0, c00);

            if (TRows.Value > 1)
            {
                var v1 = Vector256.Create(a1[p]);
                c10 = Vector256.FusedMultiplyAdd(v1, b0, c10);
            }

            if (TRows.Value > 2)
            {
                var v2 = Vector256.Create(a2[p]);
                c20 = Vector256.FusedMultiplyAdd(v2, b0, c20);
            }

            if (TRows.Value > 3)
            {
                var v3 = Vector256.Create(a3[p]);
                c30 = Vector256.FusedMultiplyAdd(v3, b0, c30);
            }

            if (TRows.Value > 4)
            {
                var v4 = Vector256.Create(a4[p]);
                c40 = Vector256.FusedMultiplyAdd(v4, b0, c40);
            }

            if (TRows.Value > 5)
            {
                var v5 = Vector256.Create(a5[p]);
                c50 = Vector256.FusedMultiplyAdd(v5, b0, c50);
            }
        }

        // Park the accumulators before any call: a vector live across a call is spilled on every loop iteration.
        float* tile = stackalloc float[Rows * 2 * Panel];
        c00.Store(tile + 0); Vector256<float>.Zero.Store(tile + 8);
        c10.Store(tile + 32); Vector256<float>.Zero.Store(tile + 40);
        c20.Store(tile + 64); Vector256<float>.Zero.Store(tile + 72);
        c30.Store(tile + 96); Vector256<float>.Zero.Store(tile + 104);
        c40.Store(tile + 128); Vector256<float>.Zero.Store(tile + 136);
        c50.Store(tile + 160); Vector256<float>.Zero.Store(tile + 168);
        int width0 = Math.Min(Panel, cols - 0);
        var e0 = e.Shifted(0);
        Emit(tile + 0, c + 0 * ldc + 0, 0, rows, width0, e0);
        Emit(tile + 32, c + 1 * ldc + 0, 1, rows, width0, e0);
        Emit(tile + 64, c + 2 * ldc + 0, 2, rows, width0, e0);
        Emit(tile + 96, c + 3 * ldc + 0, 3, rows, width0, e0);
        Emit(tile + 128, c + 4 * ldc + 0, 4, rows, width0, e0);
        Emit(tile + 160, c + 5 * ldc + 0, 5, rows, width0, e0);
    }

    /// <summary>Finishes one row's 16 values through the shared epilogue, skipping rows past the edge.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Emit(float* values, float* c, int row, int rows, int width, in TileEpilogue e)
    {
        if (row < rows && width > 0)
        {
            Store16(values, c, width, e);
        }
    }

    /// <summary>
    /// Finishes the first <paramref name="width"/> of 16 parked values into C: a plain epilogue
    /// (<see cref="TileEpilogue.IsPlain"/>) in one 16-float vector, here (+ C, + bias, in the shared epilogue's order, so
    /// with its bits); anything else through <see cref="MicroKernels.StoreSixteen"/>. The call it saves was 5% of a
    /// 512³ product and a sixth of the MLP's time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Store16(float* values, float* c, int width, in TileEpilogue e)
    {
        // The kernel-set tests run these kernels where AVX-512 is emulated: the masked instructions below need the real thing.
        if (!e.IsPlain || !Avx512F.IsSupported)
        {
            MicroKernels.StoreSixteen(Vector256.Load(values), Vector256.Load(values + 8), c, width, e);
            return;
        }

        var acc = Vector512.Load(values);
        var mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(width)).AsSingle();
        if (e.Beta == 1f)
        {
            acc += Avx512F.MaskLoad(c, mask, Vector512<float>.Zero);
        }

        if (e.Bias != null)
        {
            acc += Vector512.Load(e.Bias); // padded to whole panels
        }

        Avx512F.MaskStore(c, mask, acc);
    }
}
