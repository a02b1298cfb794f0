using DeepScratch.Kernels;
using DeepScratch.Layers;

namespace DeepScratch.Tests.Layers;

/// <summary>
/// Every kernel of the training Convolution layer (explicit columns, implicit-im2col GEMM, Winograd F(2x2,3x3), the
/// one-channel direct kernel) against plain loops in double with the book's im2col semantics: Forward multiplies the
/// padding's zeros (so a NaN filter spreads over all of its outputs, as numpy's im2col product does), dx adds only
/// the in-image cells (col2im drops the padding), dW multiplies the padding's zeros. Sizes are odd and not multiples
/// of the vector width; batch 1 included; NaN inputs and filters must give NaN exactly where the loops do.
/// </summary>
public class ConvolutionKernelTests
{
    public static TheoryData<string, int, int, int, int, int, int, int> Cases()
    {
        var data = new TheoryData<string, int, int, int, int, int, int, int>();
        // kernel, N, C, FN, H, W, F, pad
        foreach (var kernel in new[] { "Columns", "ImplicitGemm", "Winograd", "SingleChannel", "Direct" })
        {
            data.Add(kernel, 1, 1, 16, 28, 28, 3, 1);   // DeepConvNet conv1, batch 1
            data.Add(kernel, 2, 1, 5, 9, 7, 5, 0);      // SimpleConvNet-like 5x5, non-square image
            data.Add(kernel, 3, 3, 17, 7, 9, 3, 1);     // odd C and FN
            data.Add(kernel, 2, 17, 19, 6, 5, 3, 2);    // pad 2 (DeepConvNet conv4's)
            data.Add(kernel, 2, 20, 33, 5, 7, 3, 0);    // pad 0, FN past two panels
            data.Add(kernel, 1, 16, 16, 11, 13, 3, 1);  // DeepConvNet conv2-like, odd image
            data.Add(kernel, 2, 9, 3, 8, 8, 2, 1);      // even filter
            data.Add(kernel, 23, 2, 5, 6, 5, 3, 1);     // dW over groups of several images, the last one shorter
            data.Add(kernel, 7, 1, 30, 28, 28, 5, 0);   // SimpleConvNet's conv, 7 images over the dW groups
            data.Add(kernel, 3, 1, 7, 5, 12, 4, 3);     // one channel, even filter, padding past the filter's reach
            data.Add(kernel, 2, 1, 13, 30, 3, 3, 0);    // one channel, out_w 1
        }

        return data;
    }

    private static (Convolution Layer, Tensor X, Tensor Dout) Setup(string kernel, int n, int c, int fn, int h, int w, int f, int pad, int seed)
    {
        var random = new Random(seed);
        var conv = new Convolution(
            new Parameter("W1", GradientCheck.Random([fn, c, f, f], random, 1), weightDecay: true),
            new Parameter("b1", GradientCheck.Random([fn], random, 1)), 1, pad)
        {
            ForcedKernel = Enum.Parse<ConvolutionKernel>(kernel),
        };
        var x = GradientCheck.Random([n, c, h, w], random, 1);
        var dout = GradientCheck.Random([n, fn, h + 2 * pad - f + 1, w + 2 * pad - f + 1], random, 1);
        return (conv, x, dout);
    }

    /// <summary>Whether the forced kernel applies to these sizes on this machine (else the layer picks another).</summary>
    private static bool Applies(string kernel, int c, int f, bool forward) => kernel switch
    {
        "Winograd" => WinogradConvolution.IsSupported && f == 3,
        "SingleChannel" => forward && WinogradConvolution.IsSupported && c == 1,
        "Direct" => forward && DirectSingleChannel.IsSupported && c == 1,
        _ => Gemm.HasFastKernels || kernel == "Columns",
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_dx_dW_and_db_match_plain_loops(string kernel, int n, int c, int fn, int h, int w, int f, int pad)
    {
        var (conv, x, dout) = Setup(kernel, n, c, fn, h, w, f, pad, seed: n + 3 * c + 5 * fn + 7 * h + 11 * w + 13 * f + 17 * pad);
        var y = conv.Forward(x, train: true);
        var dx = conv.Backward(dout);
        var reference = Reference.Of(x, conv.W.Value, conv.B.Value, dout, pad);

        AssertMatches("y", reference.Y, y);
        AssertMatches("dx", reference.Dx, dx);
        AssertMatches("dW", reference.DW, conv.W.Grad);
        AssertMatches("db", reference.Db, conv.B.Grad);
        if (Applies(kernel, c, f, forward: true))
        {
            Assert.Equal(kernel, conv.ForwardKernel.ToString());
        }

        // The one-channel dW reduction runs for finite images when the layer chooses or is forced to Direct; with several
        // channels the batch-level implicit-im2col reduction runs unless the per-image columns are forced.
        string expectedGradient = kernel == "Direct" && Applies(kernel, c, f, forward: true) ? "Direct"
            : c > 1 && kernel != "Columns" && Gemm.HasFastKernels ? "ImplicitGemm" : "Columns";
        Assert.Equal(expectedGradient, conv.GradientKernel.ToString());

        if (kernel is "Columns" or "ImplicitGemm" || (kernel == "Winograd" && Applies(kernel, c, f, forward: false)))
        {
            Assert.Equal(kernel, conv.DataKernel.ToString());
        }
    }

    [Theory]
    [InlineData("Columns")]
    [InlineData("ImplicitGemm")]
    [InlineData("Winograd")]
    [InlineData("SingleChannel")]
    [InlineData("Direct")]
    public void An_empty_batch_gives_empty_y_and_dx_and_zero_dW_and_db(string kernel)
    {
        // numpy on 0 images: im2col gives (0, C·FH·FW) columns, so y and dx have no rows and dW = colᵀ·dout and db = Σ dout
        // are sums of nothing, 0. (The per-group dW split the images into Math.Min(groups, n) = 0 groups and divided by it.)
        foreach (var (c, fn, f, pad) in new[] { (1, 16, 3, 1), (1, 30, 5, 0), (5, 18, 3, 1) })
        {
            var (conv, _, _) = Setup(kernel, 1, c, fn, 9, 8, f, pad, seed: 20 + c);
            conv.W.Grad.Span.Fill(7f); // stale values from a previous batch must not survive
            conv.B.Grad.Span.Fill(7f);
            int outH = 9 + 2 * pad - f + 1, outW = 8 + 2 * pad - f + 1;
            var y = conv.Forward(new Tensor(new float[0], 0, c, 9, 8), train: true);
            var dx = conv.Backward(new Tensor(new float[0], 0, fn, outH, outW));
            Assert.Equal([0, fn, outH, outW], y.Shape.ToArray());
            Assert.Equal([0, c, 9, 8], dx.Shape.ToArray());
            Assert.All(conv.W.Grad.ToArray(), g => Assert.Equal(0f, g));
            Assert.All(conv.B.Grad.ToArray(), g => Assert.Equal(0f, g));
            if (c > 1 && kernel != "Columns" && Gemm.HasFastKernels)
            {
                // The batch-level dW reduction ran on the empty batch too (it split 0 patch rows into 0 groups and divided).
                Assert.Equal(ConvolutionKernel.ImplicitGemm, conv.GradientKernel);
            }
        }
    }

    [Theory]
    [InlineData("Columns")]
    [InlineData("ImplicitGemm")]
    [InlineData("Winograd")]
    [InlineData("SingleChannel")]
    [InlineData("Direct")]
    public void A_NaN_pixel_and_a_NaN_dout_give_NaN_exactly_where_the_loops_do(string kernel)
    {
        foreach (var (c, fn, f, pad) in new[] { (1, 16, 3, 1), (5, 18, 3, 1), (4, 7, 3, 2) })
        {
            var (conv, x, dout) = Setup(kernel, 2, c, fn, 9, 8, f, pad, seed: 40 + c);
            x[1, c - 1, 0, 3] = float.NaN;       // on the border
            x[0, 0, 4, 4] = float.PositiveInfinity;
            dout[1, fn - 1, 2, 2] = float.NaN;
            var y = conv.Forward(x, train: true);
            var dx = conv.Backward(dout);
            var reference = Reference.Of(x, conv.W.Value, conv.B.Value, dout, pad);
            AssertMatches("y", reference.Y, y);
            AssertMatches("dx", reference.Dx, dx);
            AssertMatches("dW", reference.DW, conv.W.Grad);
            Assert.Contains(y.ToArray(), float.IsNaN);
            Assert.Contains(y.ToArray(), float.IsFinite);
        }
    }

    [Fact]
    public void The_direct_one_channel_dW_spreads_a_NaN_or_infinite_dout_as_the_loops_do_and_leaves_non_finite_images_to_the_columns()
    {
        foreach (var pad in new[] { 0, 2 })
        {
            var (conv, x, dout) = Setup("Direct", 5, 1, 8, 11, 10, 5, pad, seed: 80 + pad);
            dout[1, 7, 0, dout.Dim(3) - 1] = float.NaN;          // the last real column of a row, next to the wrapped ones
            dout[3, 2, dout.Dim(2) - 1, 0] = float.PositiveInfinity; // meets the padding's zeros when pad > 0
            conv.Forward(x, train: true);
            conv.BackwardParameters(dout);
            var reference = Reference.Of(x, conv.W.Value, conv.B.Value, dout, pad);
            AssertMatches("dW", reference.DW, conv.W.Grad);
            Assert.Contains(conv.W.Grad.ToArray(), float.IsNaN);
            if (DirectSingleChannel.IsSupported)
            {
                Assert.Equal(ConvolutionKernel.Direct, conv.GradientKernel);
            }

            // A NaN pixel in the last column: the wrapped positions would read it, so dW goes back to the columns.
            x[2, 0, 4, x.Dim(3) - 1] = float.NaN;
            dout = GradientCheck.Random(dout.Shape.ToArray(), new Random(9), 1);
            conv.Forward(x, train: true);
            conv.BackwardParameters(dout);
            reference = Reference.Of(x, conv.W.Value, conv.B.Value, dout, pad);
            AssertMatches("dW with a NaN pixel", reference.DW, conv.W.Grad);
            Assert.Contains(conv.W.Grad.ToArray(), float.IsFinite);
            Assert.Equal(ConvolutionKernel.Columns, conv.GradientKernel);
        }
    }

    [Theory]
    [InlineData("Columns")]
    [InlineData("ImplicitGemm")]
    [InlineData("Winograd")]
    [InlineData("SingleChannel")]
    [InlineData("Direct")]
    public void A_NaN_filter_gives_NaN_exactly_where_the_books_im2col_product_does(string kernel)
    {
        foreach (var (c, fn, pad) in new[] { (1, 16, 1), (6, 17, 1), (3, 5, 2) })
        {
            var (conv, x, dout) = Setup(kernel, 2, c, fn, 7, 9, 3, pad, seed: 60 + c);
            conv.W.Value[fn - 1, c - 1, 0, 2] = float.NaN;   // a corner cell: at the borders it meets only padding
            var y = conv.Forward(x, train: true);
            var dx = conv.Backward(dout);
            var reference = Reference.Of(x, conv.W.Value, conv.B.Value, dout, pad);
            AssertMatches("y", reference.Y, y);
            AssertMatches("dx", reference.Dx, dx);
            AssertMatches("dW", reference.DW, conv.W.Grad);
            Assert.Contains(dx.ToArray(), float.IsNaN);
            Assert.Contains(dx.ToArray(), float.IsFinite);
        }
    }

    [Theory]
    [InlineData("Columns")]
    [InlineData("ImplicitGemm")]
    [InlineData("Winograd")]
    public void Backward_on_the_fast_kernels_matches_the_numerical_gradient(string kernel)
    {
        var random = new Random(77);
        var conv = new Convolution(
            new Parameter("W1", GradientCheck.Random([5, 3, 3, 3], random, 1), weightDecay: true),
            new Parameter("b1", GradientCheck.Random([5], random, 1)), 1, 1)
        {
            ForcedKernel = Enum.Parse<ConvolutionKernel>(kernel),
        };
        var x = GradientCheck.Random([2, 3, 7, 6], new Random(78), 1);
        GradientCheck.AssertLayer(() => conv, x);
    }

    [Fact]
    public void The_automatic_choice_gives_the_same_gradients_as_the_columns_within_float_rounding_and_a_second_batch_reuses_nothing_stale()
    {
        var (auto, x, dout) = Setup("Columns", 3, 16, 32, 14, 14, 3, 2, seed: 90);
        auto.ForcedKernel = null;
        var (columns, _, _) = Setup("Columns", 3, 16, 32, 14, 14, 3, 2, seed: 90);
        // Two batches of different sizes through the same layer: the scratch buffers must not leak the first one.
        auto.Forward(GradientCheck.Random([5, 16, 14, 14], new Random(91), 1), true);
        auto.Backward(GradientCheck.Random([5, 32, 16, 16], new Random(92), 1));
        var y = auto.Forward(x, true);
        var dx = auto.Backward(dout);
        var reference = Reference.Of(x, columns.W.Value, columns.B.Value, dout, 2);
        AssertMatches("y", reference.Y, y);
        AssertMatches("dx", reference.Dx, dx);
        AssertMatches("dW", reference.DW, auto.W.Grad);
        Assert.Equal(3, y.Dim(0));
    }

    [Theory]
    [InlineData(1, 16, 28, 3, 1, "Direct", "Columns")]          // DeepConvNet conv1 (its dx is never asked for)
    [InlineData(16, 16, 28, 3, 1, "Winograd", "Winograd")]      // conv2
    [InlineData(16, 32, 14, 3, 1, "Winograd", "Winograd")]      // conv3
    [InlineData(32, 32, 14, 3, 2, "Winograd", "Winograd")]      // conv4, pad 2: dx padded by 0
    [InlineData(64, 64, 8, 3, 1, "Winograd", "Winograd")]       // conv6
    [InlineData(1, 30, 28, 5, 0, "Direct", "Columns")]          // SimpleConvNet's conv
    [InlineData(12, 20, 9, 5, 2, "ImplicitGemm", "ImplicitGemm")] // 5x5 with several channels
    public void The_book_layers_take_the_kernels_chosen_for_them(int c, int fn, int h, int f, int pad, string forward, string data)
    {
        if (!WinogradConvolution.IsSupported)
        {
            return; // the choice below is the AVX-512 machine's; elsewhere the other kernels are covered by the tests above
        }

        var (conv, x, dout) = Setup("Columns", 2, c, fn, h, h, f, pad, seed: 5);
        conv.ForcedKernel = null;
        var y = conv.Forward(x, train: true);
        var dx = conv.Backward(dout);
        Assert.Equal(forward, conv.ForwardKernel.ToString());
        Assert.Equal(data, conv.DataKernel.ToString());
        var reference = Reference.Of(x, conv.W.Value, conv.B.Value, dout, pad);
        AssertMatches("y", reference.Y, y);
        AssertMatches("dx", reference.Dx, dx);
    }

    /// <summary>|actual − expected| ≤ 1e-5·Σ|terms| + 1e-6 everywhere, and NaN exactly where expected is NaN.</summary>
    private static void AssertMatches(string name, (double[] Value, double[] Scale) expected, Tensor actual)
    {
        var a = actual.ToArray();
        Assert.Equal(expected.Value.Length, a.Length);
        for (int i = 0; i < a.Length; i++)
        {
            double e = expected.Value[i];
            if (double.IsNaN(e) || double.IsNaN(a[i]))
            {
                Assert.True(double.IsNaN(e) && float.IsNaN(a[i]), $"{name}[{i}] = {a[i]}, loop {e}");
                continue;
            }

            if (double.IsInfinity(e) || float.IsInfinity(a[i]))
            {
                Assert.True(e == a[i], $"{name}[{i}] = {a[i]}, loop {e}");
                continue;
            }

            Assert.True(Math.Abs(a[i] - e) <= 1e-5 * expected.Scale[i] + 1e-6, $"{name}[{i}] = {a[i]}, loop {e} (Σ|terms| {expected.Scale[i]})");
        }
    }

    /// <summary>The plain loops in double: each result with Σ|terms| for its tolerance.</summary>
    private sealed record Reference((double[], double[]) Y, (double[], double[]) Dx, (double[], double[]) DW, (double[], double[]) Db)
    {
        public static Reference Of(Tensor x, Tensor w, Tensor b, Tensor dout, int pad)
        {
            int n = x.Dim(0), c = x.Dim(1), h = x.Dim(2), wd = x.Dim(3);
            int fn = w.Dim(0), fh = w.Dim(2), fw = w.Dim(3);
            int outH = h + 2 * pad - fh + 1, outW = wd + 2 * pad - fw + 1;
            var y = (new double[n * fn * outH * outW], new double[n * fn * outH * outW]);
            var dx = (new double[x.Length], new double[x.Length]);
            var dw = (new double[w.Length], new double[w.Length]);
            var db = (new double[fn], new double[fn]);
            for (int img = 0; img < n; img++)
            for (int f = 0; f < fn; f++)
            for (int i = 0; i < outH; i++)
            for (int j = 0; j < outW; j++)
            {
                int yi = ((img * fn + f) * outH + i) * outW + j;
                double g = dout[img, f, i, j];
                y.Item1[yi] = b[f];
                y.Item2[yi] = Math.Abs(b[f]);
                db.Item1[f] += g;
                db.Item2[f] += Math.Abs(g);
                for (int ch = 0; ch < c; ch++)
                for (int ky = 0; ky < fh; ky++)
                for (int kx = 0; kx < fw; kx++)
                {
                    int row = i + ky - pad, col = j + kx - pad;
                    bool inside = row >= 0 && row < h && col >= 0 && col < wd;
                    double pixel = inside ? x[img, ch, row, col] : 0.0; // the padding is a real 0, as np.pad makes it
                    double weight = w[f, ch, ky, kx];
                    int wi = ((f * c + ch) * fh + ky) * fw + kx;
                    y.Item1[yi] += weight * pixel;
                    y.Item2[yi] += Math.Abs(weight * pixel);
                    dw.Item1[wi] += g * pixel;
                    dw.Item2[wi] += Math.Abs(g * pixel);
                    if (inside)
                    {
                        int xi = ((img * c + ch) * h + row) * wd + col;
                        dx.Item1[xi] += g * weight; // col2im drops the padding's cells
                        dx.Item2[xi] += Math.Abs(g * weight);
                    }
                }
            }

            return new Reference(y, dx, dw, db);
        }
    }
}
