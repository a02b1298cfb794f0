using DeepScratch.Kernels;

namespace DeepScratch.Tests.Kernels;

/// <summary>
/// The batch-level filter gradient (<see cref="FilterGradient"/>) against the book's dW = doutᵀ·col as a plain loop in
/// double over every image, filter position and padding cell (the padding's zeros are multiplied, as numpy's im2col
/// product does). Sizes put chunk boundaries inside images, give several groups with a short last one, strides 2,
/// paddings larger than the filter's reach, FN past one panel; NaN in x or dout must give NaN exactly where the loop
/// does; a second call with another batch size must reuse no stale buffer.
/// </summary>
public class FilterGradientTests
{
    // N, C, FN, H, W, F, stride, pad
    [Theory]
    [InlineData(1, 2, 3, 5, 4, 3, 1, 1)]       // one short chunk
    [InlineData(7, 16, 16, 28, 28, 3, 1, 1)]   // DeepConvNet conv2-like: chunks of 192 rows cross images of 784
    [InlineData(13, 3, 33, 7, 7, 3, 1, 2)]     // pad 2 (conv4-like), FN past two panels, 637 rows in 4 chunks
    [InlineData(41, 5, 7, 9, 6, 3, 2, 1)]      // stride 2, more chunks than groups, a short last group
    [InlineData(3, 32, 20, 9, 9, 3, 1, 2)]     // C = 32: two panels per filter tap, written straight into the panels
    [InlineData(4, 16, 8, 10, 7, 3, 2, 0)]     // C = 16 with stride 2, no padding
    [InlineData(3, 4, 5, 8, 9, 2, 1, 0)]       // even filter, no padding
    [InlineData(2, 6, 4, 11, 10, 5, 1, 2)]     // 5x5
    public void Matches_the_plain_loop(int n, int c, int fn, int h, int w, int f, int stride, int pad)
    {
        if (!Gemm.HasFastKernels)
        {
            return; // the kernel runs on the AVX2 / AVX-512 kernels only; the layer keeps its per-image path elsewhere
        }

        var random = new Random(n * 31 + c * 7 + fn + h + f);
        var g = new PatchGeometry(h, w, c, f, f, stride, pad);
        var x = RandomFloats(n * c * h * w, random);
        var dout = RandomFloats(n * fn * g.OutH * g.OutW, random);
        var dw = new float[fn * c * f * f];
        new FilterGradient().Compute(x, default, dout, n, g, fn, dw);
        var expected = Reference(x, dout, n, c, h, w, fn, f, stride, pad);
        AssertClose(expected, dw);

        // Given the channels-last images, the kernel reads them and not x (zeros here, which would give dW = 0).
        var last = new float[x.Length];
        for (int i = 0; i < n; i++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                for (int p = 0; p < h * w; p++)
                {
                    last[(i * h * w + p) * c + ch] = x[(i * c + ch) * h * w + p];
                }
            }
        }

        var fromLast = new float[dw.Length];
        new FilterGradient().Compute(new float[x.Length], last, dout, n, g, fn, fromLast);
        AssertClose(expected, fromLast);
    }

    [Fact]
    public void The_layer_gives_the_same_dW_before_and_after_its_dx_reused_the_channels_last_buffer()
    {
        var random = new Random(21);
        var w = new float[32 * 16 * 9];
        var x = RandomFloats(3 * 16 * 14 * 14, random);
        var dout = RandomFloats(3 * 32 * 14 * 14, random);
        Array.Copy(RandomFloats(w.Length, random), w, w.Length);
        var conv = new DeepScratch.Layers.Convolution(
            new DeepScratch.Layers.Parameter("W3", new Tensor(w, 32, 16, 3, 3)), new DeepScratch.Layers.Parameter("b3", new Tensor(new float[32], 32)), 1, 1);
        var input = new Tensor(x, 3, 16, 14, 14);
        var gradient = new Tensor(dout, 3, 32, 14, 14);
        conv.Forward(input, train: true);
        conv.Backward(gradient);
        var expected = Reference(x, dout, 3, 16, 14, 14, 32, 3, 1, 1);
        AssertClose(expected, conv.W.Grad.Span.ToArray());
        conv.BackwardParameters(gradient); // dx has overwritten the layer's channels-last scratch since Forward
        AssertClose(expected, conv.W.Grad.Span.ToArray());
    }

    [Fact]
    public void A_second_batch_of_another_size_reuses_nothing_stale()
    {
        if (!Gemm.HasFastKernels)
        {
            return;
        }

        var kernel = new FilterGradient();
        var random = new Random(5);
        var g = new PatchGeometry(14, 14, 8, 3, 3, 1, 1);
        var big = new float[16 * 8 * 9];
        kernel.Compute(RandomFloats(9 * 8 * 196, random), default, RandomFloats(9 * 16 * 196, random), 9, g, 16, big);
        var x = RandomFloats(2 * 8 * 196, random);
        var dout = RandomFloats(2 * 16 * 196, random);
        var dw = new float[16 * 8 * 9];
        kernel.Compute(x, default, dout, 2, g, 16, dw);
        AssertClose(Reference(x, dout, 2, 8, 14, 14, 16, 3, 1, 1), dw);
    }

    [Fact]
    public void NaN_in_the_images_or_dout_gives_NaN_exactly_where_the_plain_loop_does()
    {
        if (!Gemm.HasFastKernels)
        {
            return;
        }

        var random = new Random(11);
        int n = 5, c = 3, fn = 4, h = 9, w = 8, f = 3, pad = 1;
        var g = new PatchGeometry(h, w, c, f, f, 1, pad);
        var x = RandomFloats(n * c * h * w, random);
        var dout = RandomFloats(n * fn * g.OutH * g.OutW, random);
        x[(2 * c + 1) * h * w + 0] = float.NaN;              // image 2, channel 1, the corner: only some filter taps see it
        dout[((4 * fn + 2) * g.OutH + 3) * g.OutW + 5] = float.NaN; // image 4, filter 2: all of filter 2's row meets it (padding zeros too)
        var dw = new float[fn * c * f * f];
        new FilterGradient().Compute(x, default, dout, n, g, fn, dw);
        var expected = Reference(x, dout, n, c, h, w, fn, f, 1, pad);
        Assert.Contains(expected, double.IsNaN);
        Assert.Contains(expected, v => !double.IsNaN(v));
        AssertClose(expected, dw);
    }

    /// <summary>dW[f, c, ky, kx] = Σ_n Σ_(oy, ox) dout[n, f, oy, ox] · xpad[n, c, oy·s + ky, ox·s + kx], in double.</summary>
    private static double[] Reference(float[] x, float[] dout, int n, int c, int h, int w, int fn, int f, int stride, int pad)
    {
        int outH = (h + 2 * pad - f) / stride + 1, outW = (w + 2 * pad - f) / stride + 1;
        var dw = new double[fn * c * f * f];
        for (int i = 0; i < n; i++)
        {
            for (int filter = 0; filter < fn; filter++)
            {
                for (int ch = 0; ch < c; ch++)
                {
                    for (int ky = 0; ky < f; ky++)
                    {
                        for (int kx = 0; kx < f; kx++)
                        {
                            double sum = 0;
                            for (int oy = 0; oy < outH; oy++)
                            {
                                for (int ox = 0; ox < outW; ox++)
                                {
                                    int iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
                                    double pixel = iy < 0 || iy >= h || ix < 0 || ix >= w ? 0 : x[((i * c + ch) * h + iy) * w + ix];
                                    sum += dout[((i * fn + filter) * outH + oy) * outW + ox] * pixel;
                                }
                            }

                            dw[((filter * c + ch) * f + ky) * f + kx] += sum;
                        }
                    }
                }
            }
        }

        return dw;
    }

    private static float[] RandomFloats(int length, Random random)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1);
        }

        return values;
    }

    private static void AssertClose(double[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (double.IsNaN(expected[i]))
            {
                Assert.True(float.IsNaN(actual[i]), $"dW[{i}]: expected NaN, got {actual[i]}");
                continue;
            }

            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4 * (1 + Math.Abs(expected[i])) + 1e-3,
                $"dW[{i}]: expected {expected[i]}, got {actual[i]}");
        }
    }
}
