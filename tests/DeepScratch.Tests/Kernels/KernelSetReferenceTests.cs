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
    /// m, n, k: 1 to 1025 in every dimension; k above 384 (several k chunks); n off multiples of 16 and 32 (partial
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
            foreach (var (m, n, k) in new[] { (1, 50, 784), (7, 100, 784), (13, 33, 100), (100, 50, 784), (6, 10, 40) })
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
            fixed (float* pb = packed.Data)
            fixed (float* pc = c)
            {
                Gemm.Run(new Operation(m, n, k, MatrixSource.Pixels(px, stride), packed, pb, alpha, beta, pc, ldc, null, Activation.None), set);
            }

            AssertMatchesReference(expected, c, m, n, ldc, k, $"{set} pixels {m}x{n}x{k} alpha {alpha} beta {beta}");
        }
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
