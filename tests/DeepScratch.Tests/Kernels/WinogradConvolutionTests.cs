using DeepScratch.Kernels;
using DeepScratch.Serialization;
using Xunit.Abstractions;

namespace DeepScratch.Tests.Kernels;

/// <summary>
/// The Winograd F(2x2, 3x3) and F(4x4, 3x3) convolutions, alone and with the 2x2 stride-2 max pool fused, against a
/// plain direct-loop convolution in double (and a plain max pool of it), on channels-last images.
/// Error bound (why the tolerance is what it is), u = 2⁻²⁴: each transformed input V is a ± sum of pixels of the
/// tile's (m+2)x(m+2) patch, each transformed filter value U is G g Gᵀ rounded once, the C-long dot products are FMA
/// chains and the transforms add a few terms each; so |error| ≤ (C + R)·u·Σ_ξ,c |a_ξ||V||U| with a_ξ the output
/// transform's coefficient, and Σ_ξ,c |a_ξ||V||U| ≤ K·G·P, where G = max|g| of the filter, P = Σ|d| over the patch and
/// all channels, and K = max over output and pixel of Σ_ξ |a_ξ|·Σ|G row ξ|·|B_ξ,pixel| (products of the 1-D sums, as
/// the transforms are separable). F(2x2): the tighter count of the original derivation (each pixel in at most 4 of the
/// 16 V's, |U| ≤ 2.25·G) gives K = 9, R = 8. F(4x4): K = 17.33² ≈ 301 (numpy over the matrices; the 8 of Aᵀ's last
/// row and the 5 of Bᵀ dominate), R = 16 (two passes of up to 5 additions each side plus the bias).
/// A wrong transform coefficient gives errors of order G·|d|, about 1/((m+2)²·C) of G·P: far above the bound on the
/// small-C shapes below (C ≤ 3: 1/108 against (C+16)·u·301 ≈ 3.4e-4 for F(4x4)).
/// </summary>
public class WinogradConvolutionTests(ITestOutputHelper output)
{
    private const double U = 1.0 / (1 << 24);

    private static readonly (int N, int H, int W, int C, int FN, int Pad, bool Relu)[] Sizes =
    [
        // n, H, W, C, FN, pad, relu: odd and non-square sizes, C and FN not multiples of 16, batch 1 and 7; outputs
        // not a multiple of either tile (5x7, 6x9, 9x6, 1x2, 13x15, 7x5) and exact ones (8x8, 16x16, 28x28).
        (1, 5, 7, 3, 5, 0, false),
        (7, 6, 9, 17, 20, 1, true),
        (7, 9, 6, 16, 33, 2, false),
        (1, 3, 3, 1, 1, 0, true),
        (1, 1, 2, 2, 3, 1, false),
        (2, 8, 8, 32, 64, 1, true),
        (3, 14, 14, 16, 32, 2, false),
        (1, 28, 28, 16, 16, 1, true),
        (1, 11, 13, 40, 48, 3, false),
        (2, 9, 7, 2, 17, 1, true),
    ];

    public static TheoryData<int, int, int, int, int, int, bool, int, bool> Shapes()
    {
        var data = new TheoryData<int, int, int, int, int, int, bool, int, bool>();
        foreach (var (n, h, w, c, fn, pad, relu) in Sizes)
        {
            foreach (int tile in new[] { 2, 4 })
            {
                foreach (bool pool in new[] { false, true })
                {
                    // A pool needs a 2x2 convolution output at least.
                    if (!pool || (h + 2 * pad - 2 >= 2 && w + 2 * pad - 2 >= 2))
                    {
                        data.Add(n, h, w, c, fn, pad, relu, tile, pool);
                    }
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_matches_the_direct_convolution_within_the_error_bound(int n, int h, int w, int c, int fn, int pad, bool relu, int tile, bool pool)
    {
        var random = new Random(n * 7919 + h * 131 + w * 17 + c * 5 + fn + pad);
        var filters = Values(random, fn * c * 9, 1f);
        var bias = Values(random, fn, 0.5f);
        var input = Values(random, n * h * w * c, 2f);
        var conv = WinogradConvolution.TryCreate(filters, bias, fn, c, pad, relu, tile, pool)!;
        Assert.NotNull(conv);
        int outH = h + 2 * pad - 2, outW = w + 2 * pad - 2;
        var reference = Direct(input, n, h, w, c, filters, bias, fn, pad, relu);
        var bounds = new double[reference.Length];
        for (int i = 0; i < n; i++)
        {
            for (int oy = 0; oy < outH; oy++)
            {
                for (int ox = 0; ox < outW; ox++)
                {
                    double patch = PatchSum(input, i, h, w, c, oy / tile * tile - pad, ox / tile * tile - pad, tile + 2);
                    for (int f = 0; f < fn; f++)
                    {
                        double g = filters.AsSpan(f * c * 9, c * 9).ToArray().Max(Math.Abs);
                        bounds[((i * outH + oy) * outW + ox) * fn + f] = Bound(tile, c, g, patch, bias[f]);
                    }
                }
            }
        }

        if (pool)
        {
            // max is 1-Lipschitz in each argument: a pooled output's error is at most its window's largest bound.
            reference = Pool(reference, n, outH, outW, fn);
            bounds = Pool(bounds, n, outH, outW, fn);
            (outH, outW) = (outH / 2, outW / 2);
        }

        Assert.Equal(outH, conv.ResultSize(h));
        var y = new float[n * outH * outW * fn];
        Array.Fill(y, float.NaN); // every output must be written
        conv.Forward(input, n, h, w, y, new float[conv.WorkspaceLength(n, h, w)]);
        double worst = 0;
        for (int at = 0; at < y.Length; at++)
        {
            double error = Math.Abs(y[at] - reference[at]);
            Assert.True(error <= bounds[at], $"output {at} of ({n}, {outH}, {outW}, {fn}): {y[at]} vs {reference[at]}, error {error:G3} > bound {bounds[at]:G3}");
            worst = Math.Max(worst, error / bounds[at]);
        }

        output.WriteLine($"largest error / bound: {worst:G3}");
    }

    /// <summary>The error bound of the class comment for one output of an F(tile x tile, 3x3) convolution.</summary>
    private static double Bound(int tile, int c, double g, double patch, float bias) => tile == 2
        ? (c + 8) * U * 9 * g * patch + 4 * U * Math.Abs(bias)
        : (c + 16) * U * 301 * g * patch + 4 * U * Math.Abs(bias);

    [Theory]
    [InlineData(2, false)]
    [InlineData(4, false)]
    [InlineData(2, true)]
    [InlineData(4, true)]
    public void Non_finite_inputs_give_the_direct_convolutions_NaN_and_infinity_pattern(int tile, bool pool)
    {
        var random = new Random(5);
        int n = 2, h = 7, w = 8, c = 18, fn = 17, pad = 1;
        var filters = Values(random, fn * c * 9, 1f);
        var bias = Values(random, fn, 0.5f);
        var input = Values(random, n * h * w * c, 1f);
        input[(3 * w + 4) * c + 2] = float.PositiveInfinity;
        input[(0 * w + 0) * c + 17] = float.NegativeInfinity;
        input[h * w * c + (6 * w + 7) * c + 5] = float.NaN;
        input[h * w * c + (1 * w + 1) * c + 0] = float.NaN;
        foreach (bool relu in new[] { false, true })
        {
            var conv = WinogradConvolution.TryCreate(filters, bias, fn, c, pad, relu, tile, pool)!;
            var reference = Direct(input, n, h, w, c, filters, bias, fn, pad, relu);
            if (pool)
            {
                reference = Pool(reference, n, h, w, fn);
            }

            var y = new float[reference.Length];
            conv.Forward(input, n, h, w, y, new float[conv.WorkspaceLength(n, h, w)]);
            int nonFinite = 0;
            for (int i = 0; i < y.Length; i++)
            {
                if (!double.IsFinite(reference[i]))
                {
                    nonFinite++;
                    Assert.Equal(reference[i], (double)y[i]); // same infinity, or NaN for NaN (xunit's Equal treats NaN = NaN)
                }
                else
                {
                    Assert.True(float.IsFinite(y[i]), $"output {i}: {y[i]}, the direct convolution gives {reference[i]}");
                }
            }

            // Without ReLU: the +∞, −∞ and two NaN pixels each reach up to 9 outputs per filter (pooled: their windows).
            Assert.True(nonFinite >= (relu ? 2 : 4) * (pool ? 1 : 4), $"only {nonFinite} non-finite outputs");
        }
    }

    [Theory]
    [InlineData(float.NaN, 0f)]
    [InlineData(float.PositiveInfinity, 0f)]
    [InlineData(0f, float.NegativeInfinity)]
    public void Non_finite_filters_or_biases_are_refused(float weight, float biasValue)
    {
        var filters = new float[2 * 3 * 9];
        filters[20] = weight;
        Assert.Null(WinogradConvolution.TryCreate(filters, [biasValue, 1f], 2, 3, 1, true));
        Assert.Null(WinogradConvolution.TryCreate(filters, [biasValue, 1f], 2, 3, 1, true, tileSize: 4, pool: true));
    }

    [Fact]
    public void Wrong_lengths_and_short_buffers_are_refused_with_the_shapes_named()
    {
        Assert.Throws<ArgumentException>(() => WinogradConvolution.TryCreate(new float[10], new float[2], 2, 3, 1, true));
        var conv = WinogradConvolution.TryCreate(new float[2 * 3 * 9], new float[2], 2, 3, 1, true)!;
        var e = Assert.Throws<ArgumentException>(() => conv.Forward(new float[4 * 4 * 3], 1, 4, 4, new float[4 * 4 * 2 - 1], new float[conv.WorkspaceLength(1, 4, 4)]));
        Assert.Contains("output (1, 4, 4, 2)", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => WinogradConvolution.TryCreate(new float[2 * 3 * 9], new float[2], 2, 3, 1, true, tileSize: 3));
        var pooled = WinogradConvolution.TryCreate(new float[2 * 3 * 9], new float[2], 2, 3, 0, true, tileSize: 4, pool: true)!;
        e = Assert.Throws<ArgumentException>(() => pooled.Forward(new float[3 * 3 * 3], 1, 3, 3, new float[2], new float[pooled.WorkspaceLength(1, 3, 3)]));
        Assert.Contains("pooled", e.Message, StringComparison.Ordinal); // a 1x1 convolution output has no 2x2 window
        e = Assert.Throws<ArgumentException>(() => pooled.Forward(new float[6 * 6 * 3], 1, 6, 6, new float[2 * 2 * 2 - 1], new float[pooled.WorkspaceLength(1, 6, 6)]));
        Assert.Contains("output (1, 2, 2, 2)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Steady_state_allocates_nothing_and_concurrent_callers_get_the_same_result()
    {
        var random = new Random(9);
        int n = 20, h = 14, w = 14, c = 16, fn = 32, pad = 1;
        var conv = WinogradConvolution.TryCreate(Values(random, fn * c * 9, 1f), Values(random, fn, 1f), fn, c, pad, true)!;
        var input = Values(random, n * h * w * c, 1f);
        var expected = new float[n * h * w * fn];
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

    /// <summary>
    /// DeepConvNet's real filters (conv2..conv6, the pickle's W2..W6) on the real activations of 20 test images: the
    /// figures the report quotes, and the same bound as above.
    /// </summary>
    [Fact]
    public void DeepConvNet_layers_with_the_real_filters_stay_within_the_bound()
    {
        var arrays = NumpyPickle.LoadTensors(TestData.Weights("deep_convnet_params.pkl"));
        var set = DeepScratch.Data.Mnist.LoadSet(DeepScratch.Data.DatasetSplit.Test, new DeepScratch.Data.DataStore(TestData.Dir, null));
        int n = 20;
        var x = set.ImageTensor().Span[..(n * 28 * 28)].ToArray(); // scaled to [0, 1]
        (int Pad, bool PoolAfter)[] layers = [(1, false), (1, true), (1, false), (2, true), (1, false), (1, true)];
        int h = 28, c = 1;
        for (int l = 0; l < layers.Length; l++)
        {
            var wt = arrays[$"W{l + 1}"];
            var bt = arrays[$"b{l + 1}"];
            int fn = wt.Dim(0);
            var filters = wt.ToArray();
            var bias = bt.ToArray();
            int pad = layers[l].Pad, outH = h + 2 * pad - 2;
            var reference = Direct(x, n, h, h, c, filters, bias, fn, pad, relu: false);
            foreach (int tile in l > 0 ? new[] { 2, 4 } : [])
            {
                var conv = WinogradConvolution.TryCreate(filters, bias, fn, c, pad, relu: false, tile)!;
                var y = new float[reference.Length];
                conv.Forward(x, n, h, h, y, new float[conv.WorkspaceLength(n, h, h)]);
                double maxError = 0, maxReference = 0, maxRatio = 0;
                for (int i = 0; i < y.Length; i++)
                {
                    maxError = Math.Max(maxError, Math.Abs(y[i] - reference[i]));
                    maxReference = Math.Max(maxReference, Math.Abs(reference[i]));
                }

                for (int i = 0; i < n; i++)
                {
                    for (int oy = 0; oy < outH; oy++)
                    {
                        for (int ox = 0; ox < outH; ox++)
                        {
                            double patch = PatchSum(x, i, h, h, c, oy / tile * tile - pad, ox / tile * tile - pad, tile + 2);
                            for (int f = 0; f < fn; f++)
                            {
                                double g = filters.AsSpan(f * c * 9, c * 9).ToArray().Max(Math.Abs);
                                double bound = Bound(tile, c, g, patch, bias[f]);
                                int at = ((i * outH + oy) * outH + ox) * fn + f;
                                double error = Math.Abs(y[at] - reference[at]);
                                Assert.True(error <= bound, $"conv{l + 1} image {i} ({oy}, {ox}) filter {f}: error {error:G3} > bound {bound:G3}");
                                maxRatio = Math.Max(maxRatio, error / bound);
                            }
                        }
                    }
                }

                output.WriteLine($"F({tile}x{tile}) conv{l + 1} ({c}->{fn}, {h}x{h}, pad {pad}): max |error| {maxError:G3}, max |y| {maxReference:G4}, relative {maxError / maxReference:G3}, largest error/bound {maxRatio:G3}");
            }

            // Next layer's input: ReLU (and 2x2 max pooling) of the double reference, rounded to float.
            var next = reference.Select(v => (float)Math.Max(v, 0)).ToArray();
            h = outH;
            c = fn;
            if (layers[l].PoolAfter)
            {
                next = Pool(next.Select(v => (double)v).ToArray(), n, h, h, c).Select(v => (float)v).ToArray();
                h /= 2;
            }

            x = next;
        }
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

    /// <summary>The plain direct convolution in double: NHWC in and out, filters (FN, C, 3, 3), zero padding.</summary>
    private static double[] Direct(float[] x, int n, int h, int w, int c, float[] filters, float[] bias, int fn, int pad, bool relu)
    {
        int outH = h + 2 * pad - 2, outW = w + 2 * pad - 2;
        var y = new double[n * outH * outW * fn];
        for (int i = 0; i < n; i++)
        {
            for (int oy = 0; oy < outH; oy++)
            {
                for (int ox = 0; ox < outW; ox++)
                {
                    for (int f = 0; f < fn; f++)
                    {
                        double sum = bias[f];
                        for (int ky = 0; ky < 3; ky++)
                        {
                            for (int kx = 0; kx < 3; kx++)
                            {
                                int yy = oy + ky - pad, xx = ox + kx - pad;
                                if (yy < 0 || yy >= h || xx < 0 || xx >= w)
                                {
                                    continue;
                                }

                                for (int ch = 0; ch < c; ch++)
                                {
                                    sum += (double)filters[((f * c) + ch) * 9 + ky * 3 + kx] * x[((i * h + yy) * w + xx) * c + ch];
                                }
                            }
                        }

                        y[((i * outH + oy) * outW + ox) * fn + f] = relu ? (double.IsNaN(sum) ? sum : Math.Max(sum, 0)) : sum;
                    }
                }
            }
        }

        return y;
    }

    /// <summary>Σ|d| over the size x size patch whose top-left is (y0, x0) (zeros outside the image), all channels.</summary>
    private static double PatchSum(float[] x, int i, int h, int w, int c, int y0, int x0, int size = 4)
    {
        double sum = 0;
        for (int yy = y0; yy < y0 + size; yy++)
        {
            for (int xx = x0; xx < x0 + size; xx++)
            {
                if (yy >= 0 && yy < h && xx >= 0 && xx < w)
                {
                    for (int ch = 0; ch < c; ch++)
                    {
                        sum += Math.Abs(x[((i * h + yy) * w + xx) * c + ch]);
                    }
                }
            }
        }

        return sum;
    }

    /// <summary>The plain 2x2 stride-2 max pool of (n, h, w, c) values, NaN kept (Math.Max), odd last rows/columns dropped.</summary>
    private static double[] Pool(double[] x, int n, int h, int w, int c)
    {
        int oh = h / 2, ow = w / 2;
        var y = new double[n * oh * ow * c];
        for (int i = 0; i < n; i++)
        {
            for (int oy = 0; oy < oh; oy++)
            {
                for (int ox = 0; ox < ow; ox++)
                {
                    for (int ch = 0; ch < c; ch++)
                    {
                        double m = double.NegativeInfinity;
                        for (int dy = 0; dy < 2; dy++)
                        {
                            for (int dx = 0; dx < 2; dx++)
                            {
                                m = Math.Max(m, x[((i * h + 2 * oy + dy) * w + 2 * ox + dx) * c + ch]);
                            }
                        }

                        y[((i * oh + oy) * ow + ox) * c + ch] = m;
                    }
                }
            }
        }

        return y;
    }
}
