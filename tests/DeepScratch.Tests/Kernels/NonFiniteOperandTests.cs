using DeepScratch.Kernels;
using Xunit.Abstractions;
using static DeepScratch.Tests.Kernels.KernelTestSupport;

namespace DeepScratch.Tests.Kernels;

/// <summary>
/// The zero-skipping kernels with NaN and ±∞ in B: 0·NaN and 0·∞ are NaN, so skipping a k step where a pixel tile is 0
/// is exact only for a finite B. Whatever the batch size (and so whichever images share a tile), a direct kernel call
/// must give what the plain double-precision loop gives: the same NaN / ∞ pattern and the same finite values.
/// </summary>
public class NonFiniteOperandTests(ITestOutputHelper output)
{
    public static TheoryData<string, int, string> Cases()
    {
        var data = new TheoryData<string, int, string>();
        foreach (var set in new[] { "Avx2", "Avx512" })
        {
            foreach (int m in new[] { 1, 6, 7, 100 })
            {
                foreach (var kind in new[] { "NaN", "+Inf", "-Inf", "NaN and +Inf" })
                {
                    data.Add(set, m, kind);
                }
            }
        }

        return data;
    }

    [Fact]
    public void Packing_records_whether_every_value_is_finite()
    {
        var b = RandomArray(new Random(1), 20 * 17);
        Assert.True(PackedMatrix.Pack(b, 17, Transpose.No, 20, 17).AllFinite);
        b[5] = float.NaN;
        Assert.False(PackedMatrix.Pack(b, 17, Transpose.No, 20, 17).AllFinite);
        b[5] = float.NegativeInfinity;
        Assert.False(PackedMatrix.Pack(b, 17, Transpose.Yes, 17, 20).AllFinite);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public unsafe void Pixel_kernels_with_non_finite_B_match_the_reference_loop(string kernels, int m, string kind)
    {
        var set = Enum.Parse<KernelSet>(kernels);
        output.WriteLine(Describe(set));
        const int k = 784, n = 50;
        var random = new Random(m * 13 + kind.Length);

        // MNIST-like images: a blank border (pixel 0 in every image) and sparse ink inside.
        var pixels = new byte[m * k];
        var a = new double[m * k];
        for (int i = 0; i < m; i++)
        {
            for (int p = 0; p < k; p++)
            {
                int row = p / 28, col = p % 28;
                bool ink = row is >= 4 and < 24 && col is >= 4 and < 24 && random.Next(10) < 3;
                pixels[i * k + p] = ink ? (byte)random.Next(1, 256) : (byte)0;
                a[i * k + p] = pixels[i * k + p] / 255.0;
            }
        }

        var b = RandomArray(random, k * n);
        // W1[300, 0]: pixel 300 is ink in some images only; W1[0, *]: pixel 0 is blank in every image.
        if (kind.Contains("NaN", StringComparison.Ordinal))
        {
            b[300 * n + 0] = float.NaN;
            b[0 * n + 1] = float.NaN;
        }

        if (kind.Contains("Inf", StringComparison.Ordinal))
        {
            float inf = kind.StartsWith('-') ? float.NegativeInfinity : float.PositiveInfinity;
            b[0 * n + 2] = inf;
            b[350 * n + 3] = inf;
        }

        var packed = PackedMatrix.Pack(b, n, Transpose.No, k, n);
        Assert.False(packed.AllFinite);
        var c = new float[m * n];
        fixed (byte* px = pixels)
        fixed (float* pb = &packed.Data[packed.Offset])
        fixed (float* pc = c)
        {
            Gemm.Run(new Operation(m, n, k, MatrixSource.Pixels(px, k), packed, pb, 1f, 0f, pc, n, null, Activation.None), set);
        }

        int nonFinite = 0;
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    sum += a[i * k + p] * b[p * n + j];
                }

                float expected = (float)sum, actual = c[i * n + j];
                string where = $"{set} m={m} {kind}: C[{i},{j}]";
                if (!double.IsFinite(sum))
                {
                    nonFinite++;
                    Assert.True(double.IsNaN(sum) ? float.IsNaN(actual) : actual == expected, $"{where} = {actual}, reference loop {sum}");
                }
                else
                {
                    Assert.True(Math.Abs(actual - sum) <= 1e-4 * (1 + Math.Abs(sum)), $"{where} = {actual}, reference loop {sum}");
                }
            }
        }

        // Every column holding a NaN or ∞ is non-finite in every row (0·NaN = NaN): the oracle really exercises them.
        Assert.Equal(m * (kind == "NaN and +Inf" ? 4 : 2), nonFinite);
    }
}
