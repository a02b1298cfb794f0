using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepScratch.Kernels;

/// <summary>
/// Products with 1 to <see cref="MaxRows"/> rows (batch-1 inference, 1 x 784 x 50) on AVX-512, straight from a
/// row-major B without packing it: each element of B is used by at most five rows, so copying B into panels (157 KB for
/// 784 x 50) cost more than the product. Blocks of 64 columns are held in 4 x rows registers while k runs, the row's
/// edge read and written with masks. Each element is summed exactly as by the packed kernels (p ascending from zero,
/// one FMA per step, over the same k chunks of <see cref="Gemm.MaxChunk"/>, then alpha, beta as in
/// <see cref="MicroKernels.StoreSixteen"/>), so a row's result does not depend on how many rows came with it.
/// </summary>
internal static unsafe class SmallRowsGemm
{
    /// <summary>Most rows this path takes; six and more fill the packed kernels' tiles.</summary>
    public const int MaxRows = 5;

    private const int BlockColumns = 64;

    /// <summary>Whether this path takes a product: AVX-512 kernels, B not transposed, 1 to <see cref="MaxRows"/> rows.</summary>
    public static bool Applies(KernelSet kernels, Transpose transB, int m) =>
        kernels == KernelSet.Avx512 && Avx512F.IsSupported && transB == Transpose.No && m is >= 1 and <= MaxRows;

    /// <summary>
    /// C = alpha · op(A) · B + beta · C for m ≤ <see cref="MaxRows"/>, B row-major k x n; k ≥ 1. A is read in place,
    /// element (i, p) at <c>a[i·rowStep + p·stepStride]</c> (rowStep = lda, stepStride = 1 when not transposed).
    /// </summary>
    public static void Multiply(int m, int n, int k, float alpha, float* a, int rowStep, int stepStride,
        float* b, int ldb, float beta, float* c, int ldc)
    {
        int chunks = (k + Gemm.MaxChunk - 1) / Gemm.MaxChunk;
        int chunkLength = (k + chunks - 1) / chunks;
        for (int j0 = 0; j0 < n; j0 += BlockColumns)
        {
            int cols = Math.Min(BlockColumns, n - j0);
            for (int pc = 0; pc < k; pc += chunkLength)
            {
                int kc = Math.Min(chunkLength, k - pc);
                float chunkBeta = pc == 0 ? beta : 1f;
                float* ap = a + (long)pc * stepStride;
                float* bp = b + (long)pc * ldb + j0;
                float* cp = c + j0;
                switch (m)
                {
                    case 1: Block1(kc, ap, rowStep, stepStride, bp, ldb, cp, ldc, cols, alpha, chunkBeta); break;
                    case 2: Block2(kc, ap, rowStep, stepStride, bp, ldb, cp, ldc, cols, alpha, chunkBeta); break;
                    case 3: Block3(kc, ap, rowStep, stepStride, bp, ldb, cp, ldc, cols, alpha, chunkBeta); break;
                    case 4: Block4(kc, ap, rowStep, stepStride, bp, ldb, cp, ldc, cols, alpha, chunkBeta); break;
                    default: Block5(kc, ap, rowStep, stepStride, bp, ldb, cp, ldc, cols, alpha, chunkBeta); break;
                }
            }
        }
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

    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block1(int kc, float* a, int rowStep, int stepStride, float* b, int ldb, float* c, int ldc, int cols, float alpha, float beta)
    {
        var m0 = Mask(cols); var m1 = Mask(cols - 16); var m2 = Mask(cols - 32); var m3 = Mask(cols - 48);
        var c00 = Vector512<float>.Zero; var c01 = Vector512<float>.Zero; var c02 = Vector512<float>.Zero; var c03 = Vector512<float>.Zero;
        float* a0 = a + 0 * rowStep;
        for (int p = 0; p < kc; p++)
        {
            float* bp = b + (long)p * ldb;
            var b0 = Avx512F.MaskLoad(bp, m0, Vector512<float>.Zero); var b1 = Avx512F.MaskLoad(bp + 16, m1, Vector512<float>.Zero);
            var b2 = Avx512F.MaskLoad(bp + 32, m2, Vector512<float>.Zero); var b3 = Avx512F.MaskLoad(bp + 48, m3, Vector512<float>.Zero);
            long o = (long)p * stepStride;
            var v0 = Vector512.Create(a0[o]);
            c00 = Vector512.FusedMultiplyAdd(v0, b0, c00); c01 = Vector512.FusedMultiplyAdd(v0, b1, c01); c02 = Vector512.FusedMultiplyAdd(v0, b2, c02); c03 = Vector512.FusedMultiplyAdd(v0, b3, c03);
        }

        Finish(c00, c + 0 * ldc, m0, alpha, beta); Finish(c01, c + 0 * ldc + 16, m1, alpha, beta);
        Finish(c02, c + 0 * ldc + 32, m2, alpha, beta); Finish(c03, c + 0 * ldc + 48, m3, alpha, beta);
    }

    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block2(int kc, float* a, int rowStep, int stepStride, float* b, int ldb, float* c, int ldc, int cols, float alpha, float beta)
    {
        var m0 = Mask(cols); var m1 = Mask(cols - 16); var m2 = Mask(cols - 32); var m3 = Mask(cols - 48);
        var c00 = Vector512<float>.Zero; var c01 = Vector512<float>.Zero; var c02 = Vector512<float>.Zero; var c03 = Vector512<float>.Zero;
        var c10 = Vector512<float>.Zero; var c11 = Vector512<float>.Zero; var c12 = Vector512<float>.Zero; var c13 = Vector512<float>.Zero;
        float* a0 = a + 0 * rowStep;
        float* a1 = a + 1 * rowStep;
        for (int p = 0; p < kc; p++)
        {
            float* bp = b + (long)p * ldb;
            var b0 = Avx512F.MaskLoad(bp, m0, Vector512<float>.Zero); var b1 = Avx512F.MaskLoad(bp + 16, m1, Vector512<float>.Zero);
            var b2 = Avx512F.MaskLoad(bp + 32, m2, Vector512<float>.Zero); var b3 = Avx512F.MaskLoad(bp + 48, m3, Vector512<float>.Zero);
            long o = (long)p * stepStride;
            var v0 = Vector512.Create(a0[o]);
            c00 = Vector512.FusedMultiplyAdd(v0, b0, c00); c01 = Vector512.FusedMultiplyAdd(v0, b1, c01); c02 = Vector512.FusedMultiplyAdd(v0, b2, c02); c03 = Vector512.FusedMultiplyAdd(v0, b3, c03);
            var v1 = Vector512.Create(a1[o]);
            c10 = Vector512.FusedMultiplyAdd(v1, b0, c10); c11 = Vector512.FusedMultiplyAdd(v1, b1, c11); c12 = Vector512.FusedMultiplyAdd(v1, b2, c12); c13 = Vector512.FusedMultiplyAdd(v1, b3, c13);
        }

        Finish(c00, c + 0 * ldc, m0, alpha, beta); Finish(c01, c + 0 * ldc + 16, m1, alpha, beta);
        Finish(c02, c + 0 * ldc + 32, m2, alpha, beta); Finish(c03, c + 0 * ldc + 48, m3, alpha, beta);
        Finish(c10, c + 1 * ldc, m0, alpha, beta); Finish(c11, c + 1 * ldc + 16, m1, alpha, beta);
        Finish(c12, c + 1 * ldc + 32, m2, alpha, beta); Finish(c13, c + 1 * ldc + 48, m3, alpha, beta);
    }

    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block3(int kc, float* a, int rowStep, int stepStride, float* b, int ldb, float* c, int ldc, int cols, float alpha, float beta)
    {
        var m0 = Mask(cols); var m1 = Mask(cols - 16); var m2 = Mask(cols - 32); var m3 = Mask(cols - 48);
        var c00 = Vector512<float>.Zero; var c01 = Vector512<float>.Zero; var c02 = Vector512<float>.Zero; var c03 = Vector512<float>.Zero;
        var c10 = Vector512<float>.Zero; var c11 = Vector512<float>.Zero; var c12 = Vector512<float>.Zero; var c13 = Vector512<float>.Zero;
        var c20 = Vector512<float>.Zero; var c21 = Vector512<float>.Zero; var c22 = Vector512<float>.Zero; var c23 = Vector512<float>.Zero;
        float* a0 = a + 0 * rowStep;
        float* a1 = a + 1 * rowStep;
        float* a2 = a + 2 * rowStep;
        for (int p = 0; p < kc; p++)
        {
            float* bp = b + (long)p * ldb;
            var b0 = Avx512F.MaskLoad(bp, m0, Vector512<float>.Zero); var b1 = Avx512F.MaskLoad(bp + 16, m1, Vector512<float>.Zero);
            var b2 = Avx512F.MaskLoad(bp + 32, m2, Vector512<float>.Zero); var b3 = Avx512F.MaskLoad(bp + 48, m3, Vector512<float>.Zero);
            long o = (long)p * stepStride;
            var v0 = Vector512.Create(a0[o]);
            c00 = Vector512.FusedMultiplyAdd(v0, b0, c00); c01 = Vector512.FusedMultiplyAdd(v0, b1, c01); c02 = Vector512.FusedMultiplyAdd(v0, b2, c02); c03 = Vector512.FusedMultiplyAdd(v0, b3, c03);
            var v1 = Vector512.Create(a1[o]);
            c10 = Vector512.FusedMultiplyAdd(v1, b0, c10); c11 = Vector512.FusedMultiplyAdd(v1, b1, c11); c12 = Vector512.FusedMultiplyAdd(v1, b2, c12); c13 = Vector512.FusedMultiplyAdd(v1, b3, c13);
            var v2 = Vector512.Create(a2[o]);
            c20 = Vector512.FusedMultiplyAdd(v2, b0, c20); c21 = Vector512.FusedMultiplyAdd(v2, b1, c21); c22 = Vector512.FusedMultiplyAdd(v2, b2, c22); c23 = Vector512.FusedMultiplyAdd(v2, b3, c23);
        }

        Finish(c00, c + 0 * ldc, m0, alpha, beta); Finish(c01, c + 0 * ldc + 16, m1, alpha, beta);
        Finish(c02, c + 0 * ldc + 32, m2, alpha, beta); Finish(c03, c + 0 * ldc + 48, m3, alpha, beta);
        Finish(c10, c + 1 * ldc, m0, alpha, beta); Finish(c11, c + 1 * ldc + 16, m1, alpha, beta);
        Finish(c12, c + 1 * ldc + 32, m2, alpha, beta); Finish(c13, c + 1 * ldc + 48, m3, alpha, beta);
        Finish(c20, c + 2 * ldc, m0, alpha, beta); Finish(c21, c + 2 * ldc + 16, m1, alpha, beta);
        Finish(c22, c + 2 * ldc + 32, m2, alpha, beta); Finish(c23, c + 2 * ldc + 48, m3, alpha, beta);
    }

    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block4(int kc, float* a, int rowStep, int stepStride, float* b, int ldb, float* c, int ldc, int cols, float alpha, float beta)
    {
        var m0 = Mask(cols); var m1 = Mask(cols - 16); var m2 = Mask(cols - 32); var m3 = Mask(cols - 48);
        var c00 = Vector512<float>.Zero; var c01 = Vector512<float>.Zero; var c02 = Vector512<float>.Zero; var c03 = Vector512<float>.Zero;
        var c10 = Vector512<float>.Zero; var c11 = Vector512<float>.Zero; var c12 = Vector512<float>.Zero; var c13 = Vector512<float>.Zero;
        var c20 = Vector512<float>.Zero; var c21 = Vector512<float>.Zero; var c22 = Vector512<float>.Zero; var c23 = Vector512<float>.Zero;
        var c30 = Vector512<float>.Zero; var c31 = Vector512<float>.Zero; var c32 = Vector512<float>.Zero; var c33 = Vector512<float>.Zero;
        float* a0 = a + 0 * rowStep;
        float* a1 = a + 1 * rowStep;
        float* a2 = a + 2 * rowStep;
        float* a3 = a + 3 * rowStep;
        for (int p = 0; p < kc; p++)
        {
            float* bp = b + (long)p * ldb;
            var b0 = Avx512F.MaskLoad(bp, m0, Vector512<float>.Zero); var b1 = Avx512F.MaskLoad(bp + 16, m1, Vector512<float>.Zero);
            var b2 = Avx512F.MaskLoad(bp + 32, m2, Vector512<float>.Zero); var b3 = Avx512F.MaskLoad(bp + 48, m3, Vector512<float>.Zero);
            long o = (long)p * stepStride;
            var v0 = Vector512.Create(a0[o]);
            c00 = Vector512.FusedMultiplyAdd(v0, b0, c00); c01 = Vector512.FusedMultiplyAdd(v0, b1, c01); c02 = Vector512.FusedMultiplyAdd(v0, b2, c02); c03 = Vector512.FusedMultiplyAdd(v0, b3, c03);
            var v1 = Vector512.Create(a1[o]);
            c10 = Vector512.FusedMultiplyAdd(v1, b0, c10); c11 = Vector512.FusedMultiplyAdd(v1, b1, c11); c12 = Vector512.FusedMultiplyAdd(v1, b2, c12); c13 = Vector512.FusedMultiplyAdd(v1, b3, c13);
            var v2 = Vector512.Create(a2[o]);
            c20 = Vector512.FusedMultiplyAdd(v2, b0, c20); c21 = Vector512.FusedMultiplyAdd(v2, b1, c21); c22 = Vector512.FusedMultiplyAdd(v2, b2, c22); c23 = Vector512.FusedMultiplyAdd(v2, b3, c23);
            var v3 = Vector512.Create(a3[o]);
            c30 = Vector512.FusedMultiplyAdd(v3, b0, c30); c31 = Vector512.FusedMultiplyAdd(v3, b1, c31); c32 = Vector512.FusedMultiplyAdd(v3, b2, c32); c33 = Vector512.FusedMultiplyAdd(v3, b3, c33);
        }

        Finish(c00, c + 0 * ldc, m0, alpha, beta); Finish(c01, c + 0 * ldc + 16, m1, alpha, beta);
        Finish(c02, c + 0 * ldc + 32, m2, alpha, beta); Finish(c03, c + 0 * ldc + 48, m3, alpha, beta);
        Finish(c10, c + 1 * ldc, m0, alpha, beta); Finish(c11, c + 1 * ldc + 16, m1, alpha, beta);
        Finish(c12, c + 1 * ldc + 32, m2, alpha, beta); Finish(c13, c + 1 * ldc + 48, m3, alpha, beta);
        Finish(c20, c + 2 * ldc, m0, alpha, beta); Finish(c21, c + 2 * ldc + 16, m1, alpha, beta);
        Finish(c22, c + 2 * ldc + 32, m2, alpha, beta); Finish(c23, c + 2 * ldc + 48, m3, alpha, beta);
        Finish(c30, c + 3 * ldc, m0, alpha, beta); Finish(c31, c + 3 * ldc + 16, m1, alpha, beta);
        Finish(c32, c + 3 * ldc + 32, m2, alpha, beta); Finish(c33, c + 3 * ldc + 48, m3, alpha, beta);
    }

    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block5(int kc, float* a, int rowStep, int stepStride, float* b, int ldb, float* c, int ldc, int cols, float alpha, float beta)
    {
        var m0 = Mask(cols); var m1 = Mask(cols - 16); var m2 = Mask(cols - 32); var m3 = Mask(cols - 48);
        var c00 = Vector512<float>.Zero; var c01 = Vector512<float>.Zero; var c02 = Vector512<float>.Zero; var c03 = Vector512<float>.Zero;
        var c10 = Vector512<float>.Zero; var c11 = Vector512<float>.Zero; var c12 = Vector512<float>.Zero; var c13 = Vector512<float>.Zero;
        var c20 = Vector512<float>.Zero; var c21 = Vector512<float>.Zero; var c22 = Vector512<float>.Zero; var c23 = Vector512<float>.Zero;
        var c30 = Vector512<float>.Zero; var c31 = Vector512<float>.Zero; var c32 = Vector512<float>.Zero; var c33 = Vector512<float>.Zero;
        var c40 = Vector512<float>.Zero; var c41 = Vector512<float>.Zero; var c42 = Vector512<float>.Zero; var c43 = Vector512<float>.Zero;
        float* a0 = a + 0 * rowStep;
        float* a1 = a + 1 * rowStep;
        float* a2 = a + 2 * rowStep;
        float* a3 = a + 3 * rowStep;
        float* a4 = a + 4 * rowStep;
        for (int p = 0; p < kc; p++)
        {
            float* bp = b + (long)p * ldb;
            var b0 = Avx512F.MaskLoad(bp, m0, Vector512<float>.Zero); var b1 = Avx512F.MaskLoad(bp + 16, m1, Vector512<float>.Zero);
            var b2 = Avx512F.MaskLoad(bp + 32, m2, Vector512<float>.Zero); var b3 = Avx512F.MaskLoad(bp + 48, m3, Vector512<float>.Zero);
            long o = (long)p * stepStride;
            var v0 = Vector512.Create(a0[o]);
            c00 = Vector512.FusedMultiplyAdd(v0, b0, c00); c01 = Vector512.FusedMultiplyAdd(v0, b1, c01); c02 = Vector512.FusedMultiplyAdd(v0, b2, c02); c03 = Vector512.FusedMultiplyAdd(v0, b3, c03);
            var v1 = Vector512.Create(a1[o]);
            c10 = Vector512.FusedMultiplyAdd(v1, b0, c10); c11 = Vector512.FusedMultiplyAdd(v1, b1, c11); c12 = Vector512.FusedMultiplyAdd(v1, b2, c12); c13 = Vector512.FusedMultiplyAdd(v1, b3, c13);
            var v2 = Vector512.Create(a2[o]);
            c20 = Vector512.FusedMultiplyAdd(v2, b0, c20); c21 = Vector512.FusedMultiplyAdd(v2, b1, c21); c22 = Vector512.FusedMultiplyAdd(v2, b2, c22); c23 = Vector512.FusedMultiplyAdd(v2, b3, c23);
            var v3 = Vector512.Create(a3[o]);
            c30 = Vector512.FusedMultiplyAdd(v3, b0, c30); c31 = Vector512.FusedMultiplyAdd(v3, b1, c31); c32 = Vector512.FusedMultiplyAdd(v3, b2, c32); c33 = Vector512.FusedMultiplyAdd(v3, b3, c33);
            var v4 = Vector512.Create(a4[o]);
            c40 = Vector512.FusedMultiplyAdd(v4, b0, c40); c41 = Vector512.FusedMultiplyAdd(v4, b1, c41); c42 = Vector512.FusedMultiplyAdd(v4, b2, c42); c43 = Vector512.FusedMultiplyAdd(v4, b3, c43);
        }

        Finish(c00, c + 0 * ldc, m0, alpha, beta); Finish(c01, c + 0 * ldc + 16, m1, alpha, beta);
        Finish(c02, c + 0 * ldc + 32, m2, alpha, beta); Finish(c03, c + 0 * ldc + 48, m3, alpha, beta);
        Finish(c10, c + 1 * ldc, m0, alpha, beta); Finish(c11, c + 1 * ldc + 16, m1, alpha, beta);
        Finish(c12, c + 1 * ldc + 32, m2, alpha, beta); Finish(c13, c + 1 * ldc + 48, m3, alpha, beta);
        Finish(c20, c + 2 * ldc, m0, alpha, beta); Finish(c21, c + 2 * ldc + 16, m1, alpha, beta);
        Finish(c22, c + 2 * ldc + 32, m2, alpha, beta); Finish(c23, c + 2 * ldc + 48, m3, alpha, beta);
        Finish(c30, c + 3 * ldc, m0, alpha, beta); Finish(c31, c + 3 * ldc + 16, m1, alpha, beta);
        Finish(c32, c + 3 * ldc + 32, m2, alpha, beta); Finish(c33, c + 3 * ldc + 48, m3, alpha, beta);
        Finish(c40, c + 4 * ldc, m0, alpha, beta); Finish(c41, c + 4 * ldc + 16, m1, alpha, beta);
        Finish(c42, c + 4 * ldc + 32, m2, alpha, beta); Finish(c43, c + 4 * ldc + 48, m3, alpha, beta);
    }
}
