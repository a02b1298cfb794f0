using DeepScratch.Kernels;

namespace DeepScratch.Tests.Kernels;

/// <summary>The plain triple loop, in double precision: the yardstick every GEMM kernel is tested against.</summary>
internal static class ReferenceGemm
{
    public static void Multiply(Transpose transA, Transpose transB, int m, int n, int k, float alpha,
        float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    double av = transA == Transpose.No ? a[i * lda + p] : a[p * lda + i];
                    double bv = transB == Transpose.No ? b[p * ldb + j] : b[j * ldb + p];
                    sum += av * bv;
                }

                double previous = beta == 0 ? 0 : beta * (double)c[i * ldc + j];
                c[i * ldc + j] = (float)(alpha * sum + previous);
            }
        }
    }
}
