using System.Runtime.Intrinsics;
using DeepScratch.Kernels;
using Xunit.Abstractions;
using static DeepScratch.Tests.Kernels.KernelTestSupport;

namespace DeepScratch.Tests.Kernels;

/// <summary>
/// The sparse-row kernel for pixel bytes (<see cref="PixelRows"/>, run by the AVX-512 kernel set): the same sums as the
/// tile kernels with zero steps skipped, so bit-identical to them and to the dense product, close to the plain double
/// loop, independent of the batch, and never used when B holds NaN or ±∞ (0·NaN = NaN must not be skipped).
/// </summary>
public unsafe class PixelRowsTests(ITestOutputHelper output)
{
    public static TheoryData<int, int> Shapes()
    {
        var data = new TheoryData<int, int>();
        foreach (int n in new[] { 1, 7, 16, 50, 64, 65, 100, 130 })
        {
            foreach (int k in new[] { 1, 5, 784, 1600 })
            {
                data.Add(n, k);
            }
        }

        data.Add(1000, 784); // 16 column blocks: each row listed once per block
        return data;
    }

    [Fact]
    public unsafe void Byte_zero_scales_to_plus_zero_and_the_kernels_table_equals_division_by_255_and_the_tile_paths_scaling()
    {
        Assert.True(PixelRows.ZeroScalesToZero);
        // The sparse kernel scales each listed byte through the table; the tile path scales through Normalize.
        var bytes = Enumerable.Range(0, 256).Select(b => (byte)b).ToArray();
        var normalized = new float[256];
        PixelScaling.Normalize(bytes, normalized);
        for (int b = 0; b < 256; b++)
        {
            float expected = b / 255f;
            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(PixelScaling.Table[b]), $"byte {b}: table {PixelScaling.Table[b]:R}, x / 255f = {expected:R}");
            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(normalized[b]), $"byte {b}: Normalize {normalized[b]:R}, x / 255f = {expected:R}");
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Sparse_rows_give_the_tile_paths_bits_and_the_reference_loops_values(int n, int k)
    {
        output.WriteLine(Describe(KernelSet.Avx512));
        var random = new Random(n * 1000 + k);
        var bias = PackedMatrix.PadBias(RandomArray(random, n, -2f, 2f));
        var packed = PackedMatrix.Pack(RandomArray(random, k * n), n, Transpose.No, k, n);
        var b = Unpack(packed);
        var activations = n <= PackedMatrix.PanelWidth
            ? new[] { Activation.Sigmoid, Activation.None, Activation.Softmax }
            : new[] { Activation.Sigmoid, Activation.None, Activation.Relu };
        for (int m = 1; m <= 13; m++)
        {
            var pixels = SparsePixels(random, m, k);
            int ldc = n + 2;
            var initial = RandomMatrix(random, m, n, ldc, Sentinel);
            foreach (var (alpha, beta, activation) in new[] { (1f, 0f, activations[0]), (0.5f, 1f, activations[1]), (-2f, 0.75f, activations[2]) })
            {
                string what = $"{m}x{n}x{k} alpha {alpha} beta {beta} {activation}";
                var sparse = (float[])initial.Clone();
                var tile = (float[])initial.Clone();
                var dense = (float[])initial.Clone();
                fixed (byte* px = pixels)
                fixed (float* pb = &packed.Data[packed.Offset])
                fixed (float* pbias = bias)
                fixed (float* ps = sparse)
                fixed (float* pt = tile)
                {
                    var op = new Operation(m, n, k, MatrixSource.Pixels(px, k), packed, pb, alpha, beta, ps, ldc, pbias, activation);
                    Assert.True(PixelRows.Applies(op, KernelSet.Avx512), $"{what}: the sparse-row kernel does not run");
                    Gemm.Run(op, KernelSet.Avx512);
                    // The AVX2 set runs the tile kernels, which skip only the steps where a whole 6-row tile is 0.
                    Gemm.Run(new Operation(m, n, k, MatrixSource.Pixels(px, k), packed, pb, alpha, beta, pt, ldc, pbias, activation), KernelSet.Avx2);
                }

                // The dense product of the same floats, no step skipped.
                var a = new float[m * k];
                for (int i = 0; i < a.Length; i++)
                {
                    a[i] = pixels[i] / 255f;
                }

                Run(KernelSet.Avx2, m, n, k, alpha, a, k, Transpose.No, b, n, Transpose.No, beta, dense, ldc, bias, activation);
                AssertBitIdentical(tile, sparse, $"{what}: tile path vs sparse rows");
                AssertBitIdentical(dense, sparse, $"{what}: dense product vs sparse rows");
                AssertLayer(m, n, k, alpha, pixels, b, beta, initial, ldc, bias, activation, sparse, what);
            }
        }
    }

    [Fact]
    public void An_image_gives_the_same_bits_alone_and_in_batches_of_7_and_100()
    {
        const int n = 50, k = 784;
        var random = new Random(12);
        var packed = PackedMatrix.Pack(RandomArray(random, k * n), n, Transpose.No, k, n);
        var bias = PackedMatrix.PadBias(RandomArray(random, n));
        var pixels = SparsePixels(random, 100, k);
        var results = new Dictionary<int, float[]>();
        foreach (int batch in new[] { 1, 7, 100 })
        {
            var c = new float[100 * n];
            fixed (byte* px = pixels)
            fixed (float* pb = &packed.Data[packed.Offset])
            fixed (float* pbias = bias)
            fixed (float* pc = c)
            {
                for (int start = 0; start < 100; start += batch)
                {
                    int count = Math.Min(batch, 100 - start);
                    Gemm.Run(new Operation(count, n, k, MatrixSource.Pixels(px + start * k, k), packed, pb, 1f, 0f, pc + start * n, n, pbias, Activation.Sigmoid), KernelSet.Avx512);
                }
            }

            results[batch] = c;
        }

        AssertBitIdentical(results[1], results[7], "batch 1 vs batch 7");
        AssertBitIdentical(results[1], results[100], "batch 1 vs batch 100 (two threads)");
        AssertLayer(100, n, k, 1f, pixels, Unpack(packed), 0f, new float[100 * n], n, bias, Activation.Sigmoid, results[100], "batch 100");
    }

    [Theory]
    [InlineData(1, "NaN")]
    [InlineData(1, "-Inf")]
    [InlineData(2, "+Inf")]
    [InlineData(13, "NaN")]
    public void Non_finite_B_takes_the_dense_path_and_gives_the_reference_loops_NaN(int m, string kind)
    {
        const int n = 50, k = 784;
        var random = new Random(m + kind.Length);
        var b = RandomArray(random, k * n);
        // Pixel 0 is blank in every image (SparsePixels keeps a blank border): skipping it would hide 0·w = NaN.
        b[0 * n + 3] = kind == "NaN" ? float.NaN : kind == "+Inf" ? float.PositiveInfinity : float.NegativeInfinity;
        var packed = PackedMatrix.Pack(b, n, Transpose.No, k, n);
        var pixels = SparsePixels(random, m, k);
        var c = new float[m * n];
        fixed (byte* px = pixels)
        fixed (float* pb = &packed.Data[packed.Offset])
        fixed (float* pc = c)
        {
            var op = new Operation(m, n, k, MatrixSource.Pixels(px, k), packed, pb, 1f, 0f, pc, n, null, Activation.None);
            Assert.False(PixelRows.Applies(op, KernelSet.Avx512));
            Gemm.Run(op, KernelSet.Avx512);
        }

        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    sum += pixels[i * k + p] / 255.0 * b[p * n + j];
                }

                float got = c[i * n + j];
                if (double.IsNaN(sum))
                {
                    Assert.True(float.IsNaN(got), $"C[{i},{j}] = {got}, reference loop NaN ({kind} times a blank pixel)");
                }
                else
                {
                    Assert.True(Math.Abs(got - sum) <= 1e-4 * (1 + Math.Abs(sum)), $"C[{i},{j}] = {got}, reference loop {sum}");
                }
            }
        }

        Assert.True(float.IsNaN(c[3]), "column 3 (w[0, 3] non-finite, pixel 0 blank) must be NaN, as numpy gives");
    }

    /// <summary>
    /// Rows of MNIST-like pixels: for k = 784 a blank 4-pixel border and ~35% ink inside, elsewhere ~25% ink at random;
    /// row 0 all 0 and (from 3 rows) the last row all 255, the two extremes of density.
    /// </summary>
    private static byte[] SparsePixels(Random random, int m, int k)
    {
        var pixels = new byte[m * k];
        for (int i = 0; i < m; i++)
        {
            for (int p = 0; p < k; p++)
            {
                bool inside = k != 784 || (p / 28 is >= 4 and < 24 && p % 28 is >= 4 and < 24);
                bool ink = i != 0 && inside && random.Next(100) < (k == 784 ? 35 : 25);
                pixels[i * k + p] = m >= 3 && i == m - 1 ? (byte)255 : ink ? (byte)random.Next(1, 256) : (byte)0;
            }
        }

        return pixels;
    }

    /// <summary>B (k x n, row-major) back from its panels.</summary>
    private static float[] Unpack(PackedMatrix packed)
    {
        int k = packed.Rows, n = packed.Columns;
        var b = new float[k * n];
        for (int p = 0; p < k; p++)
        {
            for (int j = 0; j < n; j++)
            {
                b[p * n + j] = packed.Data[packed.Offset + j / PackedMatrix.PanelWidth * k * PackedMatrix.PanelWidth + p * PackedMatrix.PanelWidth + j % PackedMatrix.PanelWidth];
            }
        }

        return b;
    }

    /// <summary>activation(alpha · (pixels / 255) · B + beta · C + bias) in double precision against the result; C's padding untouched.</summary>
    private static void AssertLayer(int m, int n, int k, float alpha, byte[] pixels, float[] b, float beta, float[] c, int ldc,
        float[] paddedBias, Activation activation, float[] actual, string what)
    {
        double tolerance = 1e-5 * Math.Sqrt(k) + 1e-6;
        for (int i = 0; i < m; i++)
        {
            var z = new double[n];
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    sum += pixels[i * k + p] / 255.0 * b[p * n + j];
                }

                z[j] = alpha * sum + (beta == 0 ? 0 : beta * (double)c[i * ldc + j]) + paddedBias[j];
            }

            double max = z.Max();
            double denominator = z.Sum(v => Math.Exp(v - max));
            for (int j = 0; j < ldc; j++)
            {
                float got = actual[i * ldc + j];
                if (j >= n)
                {
                    Assert.True(BitConverter.SingleToInt32Bits(got) == BitConverter.SingleToInt32Bits(c[i * ldc + j]), $"{what}: C padding ({i}, {j}) overwritten with {got}");
                    continue;
                }

                double expected = activation switch
                {
                    Activation.Sigmoid => ReferenceActivations.Sigmoid(z[j]),
                    Activation.Relu => Math.Max(z[j], 0),
                    Activation.Softmax => Math.Exp(z[j] - max) / denominator,
                    _ => z[j],
                };
                double allowed = tolerance * Math.Max(1, Math.Abs(z[j]));
                Assert.True(Math.Abs(expected - got) <= allowed, $"{what}: element ({i}, {j}), z = {z[j]:R}: expected {expected:R}, got {got:R} (tolerance {allowed:G3})");
            }
        }
    }

    [Fact]
    public void A_k_too_long_for_the_pixel_codes_takes_the_tile_path_and_still_sums_right()
    {
        // A listed pixel is (panel offset << 8 | byte): past MaxK pixels the offset would not fit, so the kernel must
        // decline, and the product (one bright pixel at the very end, B all ones) must still be exactly 1.
        foreach (int k in new[] { PixelRows.MaxK, PixelRows.MaxK + 1 })
        {
            const int n = 3;
            var b = new float[k * n];
            Array.Fill(b, 1f);
            var packed = PackedMatrix.Pack(b, n, Transpose.No, k, n);
            var pixels = new byte[k];
            pixels[k - 1] = 255;
            var c = new float[n];
            fixed (byte* px = pixels)
            fixed (float* pb = &packed.Data[packed.Offset])
            fixed (float* pc = c)
            {
                var op = new Operation(1, n, k, MatrixSource.Pixels(px, k), packed, pb, 1f, 0f, pc, n, null, Activation.None);
                Assert.Equal(k <= PixelRows.MaxK, PixelRows.Applies(op, KernelSet.Avx512));
                Gemm.Run(op, Gemm.Kernels == KernelSet.Avx512 ? KernelSet.Avx512 : KernelSet.Avx2);
            }

            Assert.Equal([1f, 1f, 1f], c);
        }
    }
}
