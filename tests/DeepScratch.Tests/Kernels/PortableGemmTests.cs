using DeepScratch.Kernels;
using static DeepScratch.Tests.Kernels.KernelTestSupport;

namespace DeepScratch.Tests.Kernels;

/// <summary>The fallback for processors without AVX2 + FMA, called directly so that it is tested on every machine.</summary>
public unsafe class PortableGemmTests
{
    public static TheoryData<int, int, int, Transpose, Transpose> Cases()
    {
        var data = new TheoryData<int, int, int, Transpose, Transpose>();
        int[][] shapes = [[1, 1, 1], [2, 5, 7], [7, 13, 385], [13, 50, 784], [100, 7, 1000], [1, 1000, 100], [50, 100, 50], [1001, 6, 13]];
        foreach (var s in shapes)
        {
            foreach (var ta in new[] { Transpose.No, Transpose.Yes })
            {
                foreach (var tb in new[] { Transpose.No, Transpose.Yes })
                {
                    data.Add(s[0], s[1], s[2], ta, tb);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Portable_rows_match_the_double_precision_reference(int m, int n, int k, Transpose transA, Transpose transB)
    {
        var random = new Random(m * 131 + n * 17 + k + (int)transA * 3 + (int)transB);
        (float Alpha, float Beta)[] scales = [(1f, 0f), (0.75f, 1f), (-1.5f, 0.25f)];
        foreach (var (alpha, beta) in scales)
        {
            int lda = (transA == Transpose.No ? k : m) + 3;
            int ldb = (transB == Transpose.No ? n : k) + 1;
            int ldc = n + 2;
            var a = transA == Transpose.No ? RandomMatrix(random, m, k, lda, Poison) : RandomMatrix(random, k, m, lda, Poison);
            var b = transB == Transpose.No ? RandomMatrix(random, k, n, ldb, Poison) : RandomMatrix(random, n, k, ldb, Poison);
            var c = RandomMatrix(random, m, n, ldc, Sentinel);
            if (beta == 0f)
            {
                for (int i = 0; i < m; i++)
                {
                    Array.Fill(c, float.NaN, i * ldc, n);
                }
            }

            var expected = (float[])c.Clone();
            ReferenceGemm.Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, expected, ldc);
            fixed (float* pa = a)
            fixed (float* pb = b)
            fixed (float* pc = c)
            {
                PortableGemm.Rows(transA, transB, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, 0, m);
            }

            AssertMatchesReference(expected, c, m, n, ldc, k, $"portable {m}x{n}x{k} {transA}/{transB} alpha {alpha} beta {beta}");
        }
    }

    [Fact]
    public void Portable_rows_touch_only_the_requested_row_range()
    {
        var random = new Random(5);
        int m = 20, n = 9, k = 11;
        var a = RandomArray(random, m * k);
        var b = RandomArray(random, k * n);
        var c = new float[m * n];
        Array.Fill(c, Sentinel);
        var expected = (float[])c.Clone();
        ReferenceGemm.Multiply(Transpose.No, Transpose.No, m, n, k, 1f, a, k, b, n, 0f, expected, n);
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            PortableGemm.Rows(Transpose.No, Transpose.No, n, k, 1f, pa, k, pb, n, 0f, pc, n, 5, 12);
        }

        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float want = i is >= 5 and < 12 ? expected[i * n + j] : Sentinel;
                if (!(MathF.Abs(want - c[i * n + j]) <= 1e-5f))
                {
                    Assert.Fail($"({i}, {j}): expected {want}, got {c[i * n + j]}");
                }
            }
        }
    }
}
