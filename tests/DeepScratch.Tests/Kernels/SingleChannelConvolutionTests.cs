using DeepScratch.Kernels;

namespace DeepScratch.Tests.Kernels;

/// <summary>
/// The direct one-channel convolution (bias, ReLU and 2x2 max pooling fused) against a plain loop in double. Error
/// bound: each output is an FMA chain of F² products from zero plus the bias, so with u = 2⁻²⁴ its error is at most
/// (F² + 1)·u·(Σ|w·x| + |b|); ReLU and max pooling do not enlarge a difference (|max a − max b| ≤ max |a − b|).
/// </summary>
public class SingleChannelConvolutionTests
{
    private const double U = 1.0 / (1 << 24);

    public static TheoryData<int, int, int, int, int, int, bool, bool> Shapes() => new()
    {
        // n, H, W, F, FN, pad, relu, pool: SimpleConvNet's and DeepConvNet's first layers, and odd sizes.
        { 1, 28, 28, 5, 30, 0, true, true },
        { 2, 28, 28, 3, 16, 1, true, false },
        { 7, 9, 11, 3, 16, 1, true, false },
        { 1, 5, 6, 3, 33, 2, false, true },
        { 7, 13, 7, 5, 17, 0, false, false },
        { 1, 1, 1, 1, 1, 0, false, false },
        { 3, 7, 10, 4, 40, 1, true, true },
        // The pooled 2 x 6 strips in registers: whole strips only (24 columns), then strips plus a 4- or 2-column rest.
        { 2, 28, 28, 5, 32, 0, true, true },
        { 3, 14, 20, 5, 30, 0, true, true },
        { 2, 11, 18, 5, 30, 0, false, true },
        { 1, 9, 13, 3, 64, 1, true, true },
        { 2, 12, 17, 5, 47, 1, false, true },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_matches_the_direct_loop_within_the_error_bound(int n, int h, int w, int f, int fn, int pad, bool relu, bool pool)
    {
        var random = new Random(n * 31 + h * 7 + w * 3 + f + fn + pad);
        var filters = Values(random, fn * f * f, 1f);
        var bias = Values(random, fn, 0.5f);
        var input = Values(random, n * h * w, 1f);
        var conv = SingleChannelConvolution.TryCreate(filters, bias, fn, f, pad, relu, pool)!;
        Assert.NotNull(conv);
        int convH = h + 2 * pad - f + 1, convW = w + 2 * pad - f + 1;
        int outH = pool ? convH / 2 : convH, outW = pool ? convW / 2 : convW;
        Assert.Equal((outH, outW), (conv.OutputSize(h), conv.OutputSize(w)));
        var y = new float[n * outH * outW * fn];
        Array.Fill(y, float.NaN); // every output must be written
        conv.Forward(input, n, h, w, y, new float[conv.WorkspaceLength(n, h, w)]);

        var (reference, bound) = Reference(input, n, h, w, f, filters, bias, fn, pad, relu, pool);
        for (int i = 0; i < y.Length; i++)
        {
            Assert.True(Math.Abs(y[i] - reference[i]) <= bound[i], $"output {i}: {y[i]} vs {reference[i]}, bound {bound[i]:G3}");
        }
    }

    [Fact]
    public void Non_finite_pixels_propagate_as_in_the_direct_loop()
    {
        var random = new Random(3);
        int n = 2, h = 8, w = 9, f = 3, fn = 20, pad = 1;
        var filters = Values(random, fn * f * f, 1f);
        var bias = Values(random, fn, 0.5f);
        var input = Values(random, n * h * w, 1f);
        input[3 * w + 4] = float.PositiveInfinity;
        input[h * w + 7 * w + 8] = float.NaN;
        var conv = SingleChannelConvolution.TryCreate(filters, bias, fn, f, pad, false, false)!;
        var y = new float[n * h * w * fn];
        conv.Forward(input, n, h, w, y, new float[conv.WorkspaceLength(n, h, w)]);
        var (reference, _) = Reference(input, n, h, w, f, filters, bias, fn, pad, false, false);
        int nonFinite = 0;
        for (int i = 0; i < y.Length; i++)
        {
            if (!double.IsFinite(reference[i]))
            {
                nonFinite++;
                Assert.Equal(reference[i], (double)y[i]);
            }
            else
            {
                Assert.True(float.IsFinite(y[i]));
            }
        }

        Assert.Equal((9 + 4) * fn, nonFinite);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Non_finite_pixels_propagate_through_the_pooled_strips_as_in_the_direct_loop(bool relu)
    {
        // conv 10 x 16: two whole 2 x 6 strips and a 4-column rest per row pair; 30 filters: a masked second vector.
        var random = new Random(relu ? 5 : 6);
        int n = 2, h = 14, w = 20, f = 5, fn = 30, pad = 0;
        var filters = Values(random, fn * f * f, 1f);
        var bias = Values(random, fn, 0.5f);
        var input = Values(random, n * h * w, 1f);
        input[2 * w + 3] = float.PositiveInfinity;
        input[9 * w + 17] = float.NegativeInfinity;
        input[h * w + 6 * w + 8] = float.NaN;
        input[h * w + 1 * w + 19] = float.PositiveInfinity;
        var conv = SingleChannelConvolution.TryCreate(filters, bias, fn, f, pad, relu, true)!;
        var y = new float[n * 5 * 8 * fn];
        Array.Fill(y, 12345f);
        conv.Forward(input, n, h, w, y, new float[conv.WorkspaceLength(n, h, w)]);
        var (reference, bound) = Reference(input, n, h, w, f, filters, bias, fn, pad, relu, true);
        int nonFinite = 0;
        for (int i = 0; i < y.Length; i++)
        {
            if (!double.IsFinite(reference[i]))
            {
                nonFinite++;
                Assert.Equal(reference[i], (double)y[i]);
            }
            else
            {
                Assert.True(Math.Abs(y[i] - reference[i]) <= bound[i], $"output {i}: {y[i]} vs {reference[i]}, bound {bound[i]:G3}");
            }
        }

        Assert.True(nonFinite >= 4 * fn, $"only {nonFinite} non-finite outputs");
    }

    [Fact]
    public void Wrong_lengths_and_short_buffers_are_refused()
    {
        Assert.Throws<ArgumentException>(() => SingleChannelConvolution.TryCreate(new float[24], new float[1], 1, 5, 0, true, true));
        var conv = SingleChannelConvolution.TryCreate(new float[25], new float[1], 1, 5, 0, true, true)!;
        var e = Assert.Throws<ArgumentException>(() => conv.Forward(new float[28 * 28], 1, 28, 28, new float[143], new float[conv.WorkspaceLength(1, 28, 28)]));
        Assert.Contains("output (1, 12, 12, 1)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Steady_state_allocates_nothing_and_concurrent_callers_get_the_same_result()
    {
        var random = new Random(4);
        int n = 10, h = 28, w = 28, f = 5, fn = 30;
        var conv = SingleChannelConvolution.TryCreate(Values(random, fn * f * f, 1f), Values(random, fn, 1f), fn, f, 0, true, true)!;
        var input = Values(random, n * h * w, 1f);
        var expected = new float[n * 12 * 12 * fn];
        var workspace = new float[conv.WorkspaceLength(n, h, w)];
        conv.Forward(input, n, h, w, expected, workspace);
        long allocated = Allocations.OnThisThread(() =>
        {
            for (int i = 0; i < 5; i++)
            {
                conv.Forward(input, n, h, w, expected, workspace);
            }
        });

        Assert.True(allocated == 0, $"Forward allocated {allocated} bytes in steady state");
        Parallel.For(0, 4, _ =>
        {
            var y = new float[expected.Length];
            conv.Forward(input, n, h, w, y, new float[conv.WorkspaceLength(n, h, w)]);
            Assert.Equal(expected, y);
        });
    }

    private static float[] Values(Random random, int count, float scale)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        }

        return values;
    }

    /// <summary>Direct convolution in double (NHW in, NHWC out), then ReLU and 2x2 pooling; with each output's error bound.</summary>
    private static (double[] Values, double[] Bounds) Reference(float[] x, int n, int h, int w, int f, float[] filters, float[] bias, int fn, int pad, bool relu, bool pool)
    {
        int convH = h + 2 * pad - f + 1, convW = w + 2 * pad - f + 1;
        var y = new double[n * convH * convW * fn];
        var b = new double[y.Length];
        for (int i = 0; i < n; i++)
        {
            for (int oy = 0; oy < convH; oy++)
            {
                for (int ox = 0; ox < convW; ox++)
                {
                    for (int k = 0; k < fn; k++)
                    {
                        double sum = 0, magnitude = Math.Abs(bias[k]);
                        for (int ky = 0; ky < f; ky++)
                        {
                            for (int kx = 0; kx < f; kx++)
                            {
                                int yy = oy + ky - pad, xx = ox + kx - pad;
                                if (yy >= 0 && yy < h && xx >= 0 && xx < w)
                                {
                                    double term = (double)filters[(k * f + ky) * f + kx] * x[(i * h + yy) * w + xx];
                                    sum += term;
                                    magnitude += Math.Abs(term);
                                }
                            }
                        }

                        sum += bias[k];
                        int at = ((i * convH + oy) * convW + ox) * fn + k;
                        y[at] = relu && !double.IsNaN(sum) ? Math.Max(sum, 0) : sum;
                        b[at] = (f * f + 1) * U * magnitude;
                    }
                }
            }
        }

        if (!pool)
        {
            return (y, b);
        }

        int outH = convH / 2, outW = convW / 2;
        var py = new double[n * outH * outW * fn];
        var pb = new double[py.Length];
        for (int i = 0; i < n; i++)
        {
            for (int oy = 0; oy < outH; oy++)
            {
                for (int ox = 0; ox < outW; ox++)
                {
                    for (int k = 0; k < fn; k++)
                    {
                        double m = double.NegativeInfinity, mb = 0;
                        for (int d = 0; d < 4; d++)
                        {
                            int at = ((i * convH + 2 * oy + d / 2) * convW + 2 * ox + d % 2) * fn + k;
                            m = Math.Max(m, y[at]);
                            mb = Math.Max(mb, b[at]);
                        }

                        py[((i * outH + oy) * outW + ox) * fn + k] = m;
                        pb[((i * outH + oy) * outW + ox) * fn + k] = mb;
                    }
                }
            }
        }

        return (py, pb);
    }
}
