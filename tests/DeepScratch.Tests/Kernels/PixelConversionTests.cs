using DeepScratch.Kernels;
using static DeepScratch.Tests.Kernels.KernelTestSupport;

namespace DeepScratch.Tests.Kernels;

/// <summary>
/// MNIST bytes read straight into the first layer must become exactly <c>b / 255f</c> (numpy's float32 <c>x / 255.0</c>),
/// in the 32-wide vector loop and in the scalar tail alike.
/// </summary>
public unsafe class PixelConversionTests
{
    /// <summary>Row lengths: only a tail (1, 31), whole vectors (32, 64, 256), vectors plus a tail (33, 63, 65, 255, 257, 784).</summary>
    public static TheoryData<int> RowLengths() => new() { 1, 31, 32, 33, 63, 64, 65, 255, 256, 257, 784 };

    [Theory]
    [MemberData(nameof(RowLengths))]
    public void Every_byte_value_converts_to_exactly_b_over_255_at_every_position(int k)
    {
        // 256 rows, row i holding (i + p) mod 256 at column p: every value lands on every column, so in both loops.
        const int rows = 256, skipped = 3;
        int stride = k + 7;
        var pixels = new byte[(rows + skipped) * stride];
        Array.Fill(pixels, (byte)0xEE);
        for (int i = 0; i < rows; i++)
        {
            for (int p = 0; p < k; p++)
            {
                pixels[(skipped + i) * stride + p] = (byte)((i + p) % 256);
            }
        }

        var converted = new float[rows * k];
        fixed (byte* px = pixels)
        fixed (float* dst = converted)
        {
            MatrixSource.Pixels(px, stride).CopyRows(skipped, rows, k, dst);
        }

        var expected = new float[rows * k];
        for (int i = 0; i < rows; i++)
        {
            for (int p = 0; p < k; p++)
            {
                expected[i * k + p] = (byte)((i + p) % 256) / 255f;
            }
        }

        AssertBitIdentical(expected, converted, $"rows of {k} pixels");
    }

    [Fact]
    public void The_256_quotients_are_the_correctly_rounded_float_divisions()
    {
        // Guards the expectation above: b / 255f is the float nearest to the exact quotient, which 1/255 scaling misses.
        int scaledDiffers = 0;
        for (int value = 0; value < 256; value++)
        {
            float quotient = value / 255f;
            Assert.Equal((float)(value / 255.0), quotient);
            scaledDiffers += value * (1f / 255f) != quotient ? 1 : 0;
        }

        Assert.True(scaledDiffers > 0, "multiplying by 1/255 would give the same floats, so these tests could not tell the two apart");
    }

    [Theory]
    [InlineData("Avx2", 1024, 40)]
    [InlineData("Avx512", 1024, 40)]
    [InlineData("Avx512", 7, 784)]
    [InlineData("Avx2", 1, 100)]
    public void A_GEMM_against_the_identity_reads_back_b_over_255_for_every_byte(string kernels, int m, int k)
    {
        // C = A · I with A read from bytes: each output is 0 + a·1 + a·0 ..., exactly the converted byte.
        // 1024 x 40 x 40 is above the parallel threshold, so row blocks other than the first are converted too.
        var set = Enum.Parse<KernelSet>(kernels);
        int stride = k + 3;
        var pixels = new byte[m * stride];
        for (int i = 0; i < m; i++)
        {
            for (int p = 0; p < stride; p++)
            {
                pixels[i * stride + p] = (byte)((i * 37 + p) % 256);
            }
        }

        var identity = new float[k * k];
        for (int p = 0; p < k; p++)
        {
            identity[p * k + p] = 1f;
        }

        var packed = PackedMatrix.Pack(identity, k, Transpose.No, k, k);
        var c = new float[m * k];
        Array.Fill(c, float.NaN);
        fixed (byte* px = pixels)
        fixed (float* pb = &packed.Data[packed.Offset])
        fixed (float* pc = c)
        {
            Gemm.Run(new Operation(m, k, k, MatrixSource.Pixels(px, stride), packed, pb, 1f, 0f, pc, k, null, Activation.None), set);
        }

        var expected = new float[m * k];
        var seen = new bool[256];
        for (int i = 0; i < m; i++)
        {
            for (int p = 0; p < k; p++)
            {
                byte value = pixels[i * stride + p];
                seen[value] = true;
                expected[i * k + p] = value / 255f;
            }
        }

        AssertBitIdentical(expected, c, $"{set}: {m} rows of {k} pixels through the GEMM");
        Assert.True(m * k < 256 || seen.All(s => s), "the input did not cover all 256 byte values");
    }
}
