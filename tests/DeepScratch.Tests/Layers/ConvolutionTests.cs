using DeepScratch.Layers;
using DeepScratch.Models;
using DeepScratch.Training;

namespace DeepScratch.Tests.Layers;

/// <summary>The Convolution layer: against a direct-loop convolution in double, and by numerical gradient checks.</summary>
public class ConvolutionTests
{
    private static Convolution Make(int fn, int c, int fh, int fw, int stride, int pad, int seed)
    {
        var random = new Random(seed);
        return new Convolution(
            new Parameter("W1", GradientCheck.Random([fn, c, fh, fw], random, 1), weightDecay: true),
            new Parameter("b1", GradientCheck.Random([fn], random, 1)),
            stride, pad);
    }

    /// <summary>The oracle: y[n, f, i, j] = b[f] + Σ W[f, c, ky, kx]·x[n, c, i·s + ky − p, j·s + kx − p], zero outside x.</summary>
    private static double[,,,] Direct(Tensor x, Tensor w, Tensor b, int stride, int pad)
    {
        int n = x.Dim(0), c = x.Dim(1), h = x.Dim(2), wd = x.Dim(3);
        int fn = w.Dim(0), fh = w.Dim(2), fw = w.Dim(3);
        int outH = (h + 2 * pad - fh) / stride + 1, outW = (wd + 2 * pad - fw) / stride + 1;
        var y = new double[n, fn, outH, outW];
        for (int img = 0; img < n; img++)
        for (int f = 0; f < fn; f++)
        for (int i = 0; i < outH; i++)
        for (int j = 0; j < outW; j++)
        {
            double sum = b[f];
            for (int ch = 0; ch < c; ch++)
            for (int ky = 0; ky < fh; ky++)
            for (int kx = 0; kx < fw; kx++)
            {
                int row = i * stride + ky - pad, col = j * stride + kx - pad;
                if (row >= 0 && row < h && col >= 0 && col < wd)
                {
                    sum += (double)w[f, ch, ky, kx] * x[img, ch, row, col];
                }
            }

            y[img, f, i, j] = sum;
        }

        return y;
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(1, 1)]
    [InlineData(1, 2)]
    [InlineData(2, 0)]
    [InlineData(2, 1)]
    [InlineData(2, 2)]
    public void Forward_matches_a_direct_loop_on_odd_non_square_sizes(int stride, int pad)
    {
        // N=2, C=3, H=7, W=5 with 4 filters 3x2: neither the image nor the filter is square.
        var conv = Make(4, 3, 3, 2, stride, pad, seed: 10 * stride + pad);
        var x = GradientCheck.Random([2, 3, 7, 5], new Random(stride + 7 * pad), 1);
        var expected = Direct(x, conv.W.Value, conv.B.Value, stride, pad);

        var y = conv.Forward(x, train: false);

        Assert.Equal(new[] { 2, 4, expected.GetLength(2), expected.GetLength(3) }, y.Shape.ToArray());
        for (int n = 0; n < 2; n++)
        for (int f = 0; f < 4; f++)
        for (int i = 0; i < expected.GetLength(2); i++)
        for (int j = 0; j < expected.GetLength(3); j++)
        {
            Assert.True(Math.Abs(y[n, f, i, j] - expected[n, f, i, j]) <= 1e-5,
                $"y[{n}, {f}, {i}, {j}] = {y[n, f, i, j]}, direct loop {expected[n, f, i, j]}");
        }
    }

    [Fact]
    public void A_hand_checked_2x2_filter_sums_each_window_plus_the_bias()
    {
        var conv = new Convolution(
            new Parameter("W1", new Tensor([1, 1, 1, 1], 1, 1, 2, 2)), new Parameter("b1", Tensor.FromValues(0.5f)));
        var y = conv.Forward(new Tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], 1, 1, 3, 3), train: false);
        Assert.Equal([1, 1, 2, 2], y.Shape.ToArray());
        Assert.Equal([12.5f, 16.5f, 24.5f, 28.5f], y.ToArray());
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(1, 1)]
    [InlineData(1, 2)]
    [InlineData(2, 0)]
    [InlineData(2, 1)]
    [InlineData(2, 2)]
    public void Backward_matches_the_numerical_gradient(int stride, int pad)
    {
        var conv = Make(4, 3, 3, 2, stride, pad, seed: 100 + 10 * stride + pad);
        var x = GradientCheck.Random([2, 3, 7, 5], new Random(200 + stride + 7 * pad), 1);
        GradientCheck.AssertLayer(() => conv, x);
    }

    [Fact]
    public void BackwardParameters_gives_the_same_dW_and_db_as_Backward()
    {
        var conv = Make(3, 2, 3, 3, stride: 2, pad: 1, seed: 5);
        var x = GradientCheck.Random([2, 2, 6, 5], new Random(6), 1);
        var dout = GradientCheck.Random(conv.Forward(x, true).Shape.ToArray(), new Random(7), 1);
        conv.Backward(dout);
        var dW = conv.W.Grad.ToArray();
        var db = conv.B.Grad.ToArray();
        conv.W.Grad.Span.Clear();
        conv.B.Grad.Span.Clear();

        ((ILayer)conv).BackwardParameters(dout);

        Assert.Equal(dW, conv.W.Grad.ToArray());
        Assert.Equal(db, conv.B.Grad.ToArray());
        Assert.Contains(dW, v => v != 0);
    }

    [Fact]
    public void The_filters_are_decayed_and_the_biases_are_not()
    {
        var conv = Make(2, 1, 3, 3, 1, 0, seed: 1);
        Assert.True(conv.W.WeightDecay);
        Assert.False(conv.B.WeightDecay);
        Assert.Equal([conv.W, conv.B], conv.Parameters);
    }

    [Fact]
    public void Wrong_shapes_and_settings_are_refused_with_the_layer_name()
    {
        var conv = Make(4, 3, 3, 2, 1, 0, seed: 1);
        var e = Assert.Throws<ArgumentException>(() => conv.Forward(Tensor.Zeros(2, 2, 7, 5), true));
        Assert.Contains("W1", e.Message);
        Assert.Contains("(2, 2, 7, 5)", e.Message);
        Assert.Throws<ArgumentException>(() => conv.Forward(Tensor.Zeros(2, 105), true));
        Assert.Throws<ArgumentException>(() => conv.Forward(Tensor.Zeros(1, 3, 2, 5), true)); // the filter is taller than the image
        Assert.Throws<InvalidOperationException>(() => Make(1, 1, 1, 1, 1, 0, 1).Backward(Tensor.Zeros(1, 1, 1, 1)));
        Assert.Throws<ArgumentException>(() => new Convolution(new Parameter("W", Tensor.Zeros(2, 9)), new Parameter("b", Tensor.Zeros(2))));
        Assert.Throws<ArgumentException>(() => new Convolution(new Parameter("W", Tensor.Zeros(2, 1, 3, 3)), new Parameter("b", Tensor.Zeros(3))));
        Assert.Throws<ArgumentException>(() => new Convolution(new Parameter("W", Tensor.Zeros(2, 1, 3, 3)), new Parameter("b", Tensor.Zeros(2)), stride: 0));
        Assert.Throws<ArgumentException>(() => new Convolution(new Parameter("W", Tensor.Zeros(2, 1, 3, 3)), new Parameter("b", Tensor.Zeros(2)), pad: -1));
        conv.Forward(Tensor.Zeros(2, 3, 7, 5), true);
        Assert.Throws<ArgumentException>(() => conv.Backward(Tensor.Zeros(2, 4, 5, 5)));
    }

    /// <summary>Conv(2 filters 3x3, pad 1) - ReLU - Pool(2x2, stride 2) - Affine(12 -> 3) on 1x6x4 images, with weight decay.</summary>
    private sealed class TinyConvNet : LayeredNetwork
    {
        public TinyConvNet(double weightDecayLambda)
        {
            var random = new Random(11);
            var conv = new Convolution(
                new Parameter("W1", GradientCheck.Random([2, 1, 3, 3], random, 0.5), weightDecay: true),
                new Parameter("b1", GradientCheck.Random([2], random, 0.5)), stride: 1, pad: 1);
            var affine = new Affine(
                new Parameter("W2", GradientCheck.Random([12, 3], random, 0.5), weightDecay: true),
                new Parameter("b2", GradientCheck.Random([3], random, 0.5)));
            SetLayers([1, 6, 4], [conv, new Relu(), new Pooling(2, 2, stride: 2), affine], new SoftmaxWithLoss(), weightDecayLambda);
        }
    }

    [Fact]
    public void In_a_network_the_filters_get_weight_decay_and_the_whole_gradient_matches_the_numerical_one()
    {
        var x = GradientCheck.Random([3, 1, 6, 4], new Random(12), 1);
        var t = Tensor.FromValues(0, 2, 1);
        var plain = new TinyConvNet(0);
        var net = new TinyConvNet(0.1);
        Assert.Equal(3, net.Classes);

        // The loss adds 0.5·λ·(ΣW1² + ΣW2²) and nothing for the biases.
        double squares = net.Parameters.Where(p => p.Name.StartsWith('W')).Sum(p => p.Value.ToArray().Sum(v => (double)v * v));
        Assert.Equal(plain.Loss(x, t, train: true) + 0.05 * squares, net.Loss(x, t, train: true), 6);

        net.Gradient(x, t);
        foreach (var p in net.Parameters)
        {
            var analytic = p.Grad.Clone();
            var numerical = NumericalGradient.Compute(() => net.Loss(x, t, train: true), p.Value, 1e-3);
            GradientCheck.AssertClose(p.Name, analytic, numerical);
        }
    }
}
