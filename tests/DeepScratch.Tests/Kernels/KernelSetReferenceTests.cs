using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using DeepScratch.Kernels;
using Xunit.Abstractions;
using static DeepScratch.Tests.Kernels.KernelTestSupport;

namespace DeepScratch.Tests.Kernels;

/// <summary>
/// Each fast kernel set, called directly through <see cref="Gemm.Run(in Operation, KernelSet)"/>, against the
/// double-precision triple loop. The kernels are written with Vector256 / Vector512, which .NET emulates in software
/// where the processor lacks them, so both theories run the named kernels on every machine; the test output says
/// whether it was in hardware.
/// </summary>
public class KernelSetReferenceTests(ITestOutputHelper output)
{
    /// <summary>
    /// m, n, k: 1 to 4320 in every dimension; k above Gemm.MaxChunk = 768 (several k chunks); n off multiples of 16 and 32 (partial
    /// panels, an odd last panel for the 6x32 kernel); m off multiples of 6 (partial tiles and the one-row kernel);
    /// n x k large enough for several column blocks; m x n x k above 2^20 (worker pool).
    /// </summary>
    public static TheoryData<int, int, int> Shapes() => new()
    {
        { 1, 1, 1 },
        { 2, 5, 7 },
        { 5, 2, 13 },
        { 6, 32, 6 },
        { 5, 64, 1 },
        { 6, 16, 400 },
        { 7, 13, 385 },
        { 13, 50, 784 },
        { 50, 100, 50 },
        { 100, 7, 1000 },
        { 1, 1000, 100 },
        { 1, 100, 784 },
        { 2, 1001, 13 },
        { 1000, 13, 7 },
        { 784, 2, 1 },
        { 13, 100, 769 },
        { 1001, 50, 100 },
        { 7, 1000, 1025 },
        // Tile edges of the row-count kernels and the 8-wide last panel: SimpleConvNet's affine (two blocks of 50 rows,
        // a last panel of 4 columns, 12 k chunks), blocks ending in 1 to 5 rows, last panels of 8, 9 and 4 columns, k = 1.
        { 100, 100, 4320 },
        { 101, 40, 700 },
        { 105, 72, 200 },
        { 203, 9, 1000 },
        { 9, 8, 3 },
        { 4, 4, 1 },
        { 2, 100, 1 },
        { 3, 24, 50 },
        { 11, 56, 17 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Avx2_kernels_match_the_double_precision_reference(int m, int n, int k)
    {
        output.WriteLine(Describe(KernelSet.Avx2));
        CheckAgainstReference(KernelSet.Avx2, m, n, k);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Avx512_kernels_match_the_double_precision_reference(int m, int n, int k)
    {
        output.WriteLine(Describe(KernelSet.Avx512));
        CheckAgainstReference(KernelSet.Avx512, m, n, k);
    }

    /// <summary>MNIST-like byte rows (zero borders, mostly zero): the kernels skip k steps where a whole tile is 0.</summary>
    public static TheoryData<string, int, int, int> PixelCases()
    {
        var data = new TheoryData<string, int, int, int>();
        foreach (var set in new[] { "Avx2", "Avx512" })
        {
            foreach (var (m, n, k) in new[] { (1, 50, 784), (7, 100, 784), (13, 33, 100), (100, 50, 784), (6, 10, 40), (101, 100, 784), (5, 8, 784), (13, 40, 3000) })
            {
                data.Add(set, m, n, k);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(PixelCases))]
    public unsafe void Kernels_reading_pixel_bytes_match_the_double_precision_reference(string kernels, int m, int n, int k)
    {
        var set = Enum.Parse<KernelSet>(kernels);
        output.WriteLine(Describe(set));
        var random = new Random(m + n + k);
        int stride = k + 4;
        var pixels = new byte[m * stride];
        var a = new float[m * k];
        for (int i = 0; i < m; i++)
        {
            for (int p = 0; p < stride; p++)
            {
                bool ink = p < k && p >= k / 8 && p < k - k / 8 && random.Next(10) < 4;
                pixels[i * stride + p] = p >= k ? (byte)255 : ink ? (byte)random.Next(1, 256) : (byte)0;
                if (p < k)
                {
                    a[i * k + p] = pixels[i * stride + p] / 255f;
                }
            }
        }

        var b = RandomArray(random, k * n);
        var packed = PackedMatrix.Pack(b, n, Transpose.No, k, n);
        foreach (var (alpha, beta) in new[] { (1f, 0f), (0.5f, 1f), (2f, -0.75f) })
        {
            int ldc = n + 1;
            var c = RandomMatrix(random, m, n, ldc, Sentinel);
            if (beta == 0f)
            {
                for (int i = 0; i < m; i++)
                {
                    Array.Fill(c, float.NaN, i * ldc, n);
                }
            }

            var expected = (float[])c.Clone();
            ReferenceGemm.Multiply(Transpose.No, Transpose.No, m, n, k, alpha, a, k, b, n, beta, expected, ldc);
            fixed (byte* px = pixels)
            fixed (float* pb = &packed.Data[packed.Offset])
            fixed (float* pc = c)
            {
                Gemm.Run(new Operation(m, n, k, MatrixSource.Pixels(px, stride), packed, pb, alpha, beta, pc, ldc, null, Activation.None), set);
            }

            AssertMatchesReference(expected, c, m, n, ldc, k, $"{set} pixels {m}x{n}x{k} alpha {alpha} beta {beta}");
        }
    }

    /// <summary>
    /// NaN and ±∞ in A (a block's last rows) and in B (the 8-wide last panel and a pair of panels) give exactly the
    /// non-finite pattern of the double-precision loop, and the other elements its values: no kernel drops a row or a
    /// column, or mixes one into another.
    /// </summary>
    [Theory]
    [InlineData("Avx2", 100, 100, 4320)]
    [InlineData("Avx512", 100, 100, 4320)]
    [InlineData("Avx2", 23, 40, 9)]
    [InlineData("Avx512", 23, 40, 9)]
    [InlineData("Avx512", 5, 4, 1)]
    public void Non_finite_values_in_A_or_B_propagate_as_in_the_reference_loop(string kernels, int m, int n, int k)
    {
        var set = Enum.Parse<KernelSet>(kernels);
        output.WriteLine(Describe(set));
        var random = new Random(m * 3 + n + k);
        var a = RandomArray(random, m * k);
        var b = RandomArray(random, k * n);
        a[(m - 2) * k + k / 3] = float.NaN;         // a row near the end of the last block
        a[1 * k + k - 1] = float.PositiveInfinity;        // an early row
        b[(k / 2) * n + n - 1] = float.NaN;          // the last column: in the last (8-wide) panel
        b[(k - 1) * n + Math.Min(40, n) - 2] = float.NegativeInfinity;
        var c = new float[m * n];
        Array.Fill(c, float.NaN); // beta 0: C's old contents are ignored, even NaN
        var expected = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    sum += (double)a[i * k + p] * b[p * n + j];
                }

                expected[i * n + j] = sum;
            }
        }

        Run(set, m, n, k, 1f, a, k, Transpose.No, b, n, Transpose.No, 0f, c, n);
        int nonFinite = 0;
        float tolerance = 1e-5f * MathF.Sqrt(k) + 1e-6f;
        for (int i = 0; i < c.Length; i++)
        {
            if (!double.IsFinite(expected[i]))
            {
                nonFinite++;
                Assert.True(double.IsNaN(expected[i]) ? float.IsNaN(c[i]) : c[i] == expected[i], $"({i / n}, {i % n}): {c[i]}, reference loop {expected[i]}");
            }
            else
            {
                Assert.True(Math.Abs(c[i] - expected[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])), $"({i / n}, {i % n}): {c[i]}, reference loop {expected[i]}");
            }
        }

        // Two non-finite rows (n each) and two non-finite columns (m each), overlapping in at most four elements.
        Assert.True(nonFinite >= 2 * n + 2 * m - 4, $"only {nonFinite} non-finite elements");
    }

    [Fact]
    public void The_machine_runs_the_widest_kernel_set_its_processor_supports()
    {
        var expected = Vector512.IsHardwareAccelerated && Fma.IsSupported ? KernelSet.Avx512
            : Vector256.IsHardwareAccelerated && Fma.IsSupported ? KernelSet.Avx2
            : KernelSet.Portable;
        output.WriteLine($"Gemm.Kernels = {Gemm.Kernels}; {Gemm.KernelName}");
        Assert.Equal(expected, Gemm.Kernels);
        Assert.Contains(expected switch { KernelSet.Avx512 => "AVX-512", KernelSet.Avx2 => "AVX2", _ => "portable" }, Gemm.KernelName);
    }

    private static void CheckAgainstReference(KernelSet set, int m, int n, int k)
    {
        var random = new Random(m * 7919 + n * 31 + k);
        (float Alpha, float Beta)[] scales = [(1f, 0f), (0.75f, 1f), (-1.5f, 0.25f)];
        int variant = 0;
        foreach (var transA in new[] { Transpose.No, Transpose.Yes })
        {
            foreach (var (alpha, beta) in scales)
            {
                var transB = variant++ % 2 == 0 ? Transpose.No : Transpose.Yes;

                // Padded leading dimensions whose padding is NaN: reading it would poison the result.
                int lda = (transA == Transpose.No ? k : m) + 5;
                int ldb = (transB == Transpose.No ? n : k) + 3;
                int ldc = n + 2;
                var a = transA == Transpose.No ? RandomMatrix(random, m, k, lda, Poison) : RandomMatrix(random, k, m, lda, Poison);
                var b = transB == Transpose.No ? RandomMatrix(random, k, n, ldb, Poison) : RandomMatrix(random, n, k, ldb, Poison);
                var c = RandomMatrix(random, m, n, ldc, Sentinel);
                if (beta == 0f)
                {
                    for (int i = 0; i < m; i++)
                    {
                        Array.Fill(c, float.NaN, i * ldc, n); // beta 0 must ignore C, even NaN
                    }
                }

                var expected = (float[])c.Clone();
                ReferenceGemm.Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, expected, ldc);
                Run(set, m, n, k, alpha, a, lda, transA, b, ldb, transB, beta, c, ldc);
                AssertMatchesReference(expected, c, m, n, ldc, k, $"{set} {m}x{n}x{k} A{(transA == Transpose.Yes ? "ᵀ" : "")} B{(transB == Transpose.Yes ? "ᵀ" : "")} alpha {alpha} beta {beta}");
            }
        }
    }
}
