using DeepScratch.Kernels;

namespace DeepScratch.Tests.Kernels;

public class GemmTests
{
    public static TheoryData<int, int, int, Transpose, Transpose> Shapes()
    {
        var data = new TheoryData<int, int, int, Transpose, Transpose>();
        int[][] shapes = [[1, 1, 1], [1, 7, 3], [7, 1, 5], [7, 7, 7], [3, 50, 784], [100, 10, 100], [50, 100, 50], [130, 33, 1001], [257, 65, 17]];
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
    [MemberData(nameof(Shapes))]
    public void Multiply_matches_the_reference_triple_loop(int m, int n, int k, Transpose ta, Transpose tb)
    {
        var random = new Random(m * 1000 + n * 10 + k);
        int lda = (ta == Transpose.No ? k : m) + 3; // padded leading dimensions exercise the strides
        int ldb = (tb == Transpose.No ? n : k) + 1;
        int ldc = n + 2;
        var a = RandomArray(random, (ta == Transpose.No ? m : k) * lda);
        var b = RandomArray(random, (tb == Transpose.No ? k : n) * ldb);
        var c = RandomArray(random, m * ldc);
        var expected = (float[])c.Clone();

        Gemm.Multiply(ta, tb, m, n, k, 0.75f, a, lda, b, ldb, 0.5f, c, ldc);
        ReferenceGemm.Multiply(ta, tb, m, n, k, 0.75f, a, lda, b, ldb, 0.5f, expected, ldc);

        AssertClose(expected, c, k);
    }

    [Fact]
    public void Beta_zero_ignores_garbage_in_C_even_NaN()
    {
        var a = new float[] { 1, 2, 3, 4 };
        var b = new float[] { 5, 6, 7, 8 };
        var c = new float[] { float.NaN, float.NaN, float.NaN, float.NaN };
        Gemm.Multiply(Transpose.No, Transpose.No, 2, 2, 2, 1f, a, 2, b, 2, 0f, c, 2);
        Assert.Equal(new float[] { 19, 22, 43, 50 }, c);

        var d = new float[] { float.NaN, float.NaN, float.NaN, float.NaN };
        Gemm.Multiply(Transpose.No, Transpose.Yes, 2, 2, 2, 1f, a, 2, b, 2, 0f, d, 2);
        Assert.Equal(new float[] { 17, 23, 39, 53 }, d);
    }

    [Fact]
    public void K_zero_scales_C_by_beta()
    {
        var c = new float[] { 1, 2, 3, 4 };
        Gemm.Multiply(Transpose.No, Transpose.No, 2, 2, 0, 1f, [], 0, [], 2, 3f, c, 2);
        Assert.Equal(new float[] { 3, 6, 9, 12 }, c);
    }

    [Fact]
    public void Results_are_bit_identical_whether_one_thread_or_many_run()
    {
        // 600 x 50 x 784 is above the parallel threshold; splitting a row block off changes nothing per element.
        var random = new Random(7);
        int m = 600, n = 50, k = 784;
        var a = RandomArray(random, m * k);
        var b = RandomArray(random, k * n);
        var big = new float[m * n];
        Gemm.Multiply(Transpose.No, Transpose.No, m, n, k, 1f, a, k, b, n, 0f, big, n);

        for (int i = 0; i < m; i += 37)
        {
            var row = new float[n];
            Gemm.Multiply(Transpose.No, Transpose.No, 1, n, k, 1f, a.AsSpan(i * k, k), k, b, n, 0f, row, n);
            Assert.Equal(row, big.AsSpan(i * n, n).ToArray());
        }
    }

    [Fact]
    public void Operands_too_small_for_their_shape_are_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            Gemm.Multiply(Transpose.No, Transpose.No, 2, 2, 3, 1f, new float[5], 3, new float[6], 2, 0f, new float[4], 2));
        Assert.Contains("operand A", e.Message);
    }

    private static float[] RandomArray(Random random, int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1);
        }

        return values;
    }

    private static void AssertClose(float[] expected, float[] actual, int k)
    {
        // Summation order differs from the double-precision reference: allow float32 rounding that grows with k.
        float tolerance = 1e-5f * MathF.Sqrt(k) + 1e-6f;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= tolerance * MathF.Max(1f, MathF.Abs(expected[i])),
                $"element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }
}
