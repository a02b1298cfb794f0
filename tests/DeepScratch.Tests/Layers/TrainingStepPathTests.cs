using DeepScratch.Layers;
using DeepScratch.Models;
using DeepScratch.Tensors;
using DeepScratch.Training;
using DeepScratch.Training.Optimizers;

namespace DeepScratch.Tests.Layers;

/// <summary>
/// The fast paths of a training iteration (compact-argmax pooling, chunked parallel ReLU, fused dropout, reused layer
/// buffers inside <see cref="LayeredNetwork.Gradient"/>, fused Adam, vectorised weight-decay squares) against plain
/// reference loops written here, on odd sizes, batch 1, and NaN inputs.
/// </summary>
public class TrainingStepPathTests
{
    /// <summary>
    /// numpy's rule, as a loop: a window's values (padding reads 0) in (ky, kx) order; np.max is NaN when any is NaN
    /// and np.argmax is then the first NaN, else the first largest value; the gradient goes to that cell (dropped for
    /// padding). Returns y and dx for <paramref name="dout"/>, in double.
    /// </summary>
    private static (double[] Y, double[] Dx) PlainPool(Tensor x, Tensor dout, int ph, int pw, int stride, int pad)
    {
        int n = x.Dim(0), c = x.Dim(1), h = x.Dim(2), w = x.Dim(3);
        int outH = (h + 2 * pad - ph) / stride + 1, outW = (w + 2 * pad - pw) / stride + 1;
        var y = new double[n * c * outH * outW];
        var dx = new double[x.Length];
        int o = 0;
        for (int img = 0; img < n; img++)
        for (int ch = 0; ch < c; ch++)
        for (int i = 0; i < outH; i++)
        for (int j = 0; j < outW; j++, o++)
        {
            var values = new List<(float V, int Where)>();
            for (int ky = 0; ky < ph; ky++)
            for (int kx = 0; kx < pw; kx++)
            {
                int row = i * stride + ky - pad, col = j * stride + kx - pad;
                bool inside = row >= 0 && row < h && col >= 0 && col < w;
                values.Add((inside ? x[img, ch, row, col] : 0f, inside ? ((img * c + ch) * h + row) * w + col : -1));
            }

            int pick = values.FindIndex(e => float.IsNaN(e.V));
            if (pick < 0)
            {
                float max = values.Max(e => e.V);
                pick = values.FindIndex(e => e.V == max);
            }

            float best = values[pick].V;
            int where = values[pick].Where;
            y[o] = best;
            if (where >= 0)
            {
                dx[where] += dout.Span[o];
            }
        }

        return (y, dx);
    }

    private static void AssertSame(double[] expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            // Bit-for-bit: NaN where the plain path gives NaN, and otherwise the same float (sums of at most a few floats).
            if (double.IsNaN(expected[i]))
            {
                Assert.True(float.IsNaN(actual[i]), $"{what}[{i}]: expected NaN, got {actual[i]}");
            }
            else if (!double.IsInfinity(expected[i]) || expected[i] != actual[i])
            {
                Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-6 * Math.Max(1, Math.Abs(expected[i])), $"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
            }
        }
    }

    [Theory]
    [InlineData(1, 1, 7, 5, 2, 2, 2, 0, true)]    // batch 1, odd sizes: the last row and column are in no window
    [InlineData(3, 2, 24, 24, 2, 2, 2, 0, true)]  // SimpleConvNet's pool (12 windows a row: 8 at a time, overlapping)
    [InlineData(1, 1, 6, 17, 2, 2, 2, 0, true)]   // exactly 8 windows a row and an uncovered last column
    [InlineData(2, 1, 5, 35, 2, 2, 2, 0, true)]   // 17 windows a row
    [InlineData(2, 3, 9, 11, 3, 3, 2, 0, true)]   // overlapping 3x3 windows
    [InlineData(2, 2, 8, 7, 2, 3, 1, 0, true)]
    [InlineData(1, 1, 5, 5, 1, 1, 1, 0, true)]
    [InlineData(2, 2, 7, 5, 3, 2, 2, 1, false)]   // padding: the general path
    [InlineData(1, 2, 17, 17, 16, 16, 1, 0, false)] // 256 cells: too many for a byte argmax
    [InlineData(40, 30, 24, 24, 2, 2, 2, 0, true)] // large enough to run on the worker pool
    [InlineData(20, 21, 35, 37, 3, 3, 2, 0, true)] // on the pool with the general window loop
    public void Pooling_forward_and_backward_match_the_plain_loop_with_nan_inputs(int n, int c, int h, int w, int ph, int pw, int stride, int pad, bool compact)
    {
        var random = new Random(n * 1000 + h * 10 + ph);
        var x = GradientCheck.Random([n, c, h, w], random, 3);
        var xs = x.Span;
        // Ties (equal values, the first must win), NaN at a window's first cell and at later cells, and infinities.
        for (int i = 0; i < xs.Length; i += 13)
        {
            xs[i] = float.NaN;
        }

        for (int i = 5; i < xs.Length; i += 17)
        {
            xs[i] = xs[i - 1];
        }

        for (int i = 7; i < xs.Length; i += 29)
        {
            xs[i] = i % 2 == 0 ? float.PositiveInfinity : float.NegativeInfinity;
        }

        var pool = new Pooling(ph, pw, stride, pad);
        var y = pool.Forward(x, train: true);
        Assert.Equal(compact, pool.LastForwardWasCompact);
        var dout = GradientCheck.Random(y.Shape.ToArray(), new Random(3), 1);
        dout.Span[0] = float.NaN; // a NaN gradient lands where its window's argmax is, as in the plain path
        var (expectedY, expectedDx) = PlainPool(x, dout, ph, pw, stride, pad);
        AssertSame(expectedY, y.Span, "y");
        var dx = pool.Backward(dout);
        Assert.Equal(x.Shape.ToArray(), dx.Shape.ToArray());
        AssertSame(expectedDx, dx.Span, "dx");
    }

    [Fact]
    public void Tensors_returned_by_public_forward_and_backward_stay_valid_after_the_next_call()
    {
        var layers = new ILayer[] { new Relu(), new Pooling(2, 2, 2), new Dropout(0.5, new Random(1)), new Sigmoid(),
            new Affine(new Parameter("W", GradientCheck.Random([2 * 3 * 3, 4], new Random(2), 1)), new Parameter("b", Tensor.Zeros(4))) };
        var x1 = GradientCheck.Random([2, 2, 6, 6], new Random(3), 1);
        var x2 = GradientCheck.Random([2, 2, 6, 6], new Random(4), 1);
        var outputs = new List<(Tensor Tensor, float[] Copy)>();
        var h = x1;
        foreach (var layer in layers)
        {
            h = layer.Forward(h, train: true);
            outputs.Add((h, h.ToArray()));
        }

        var dout = Tensor.Zeros(h.Shape.ToArray());
        dout.Span.Fill(1);
        var d = dout;
        for (int i = layers.Length - 1; i >= 0; i--)
        {
            d = layers[i].Backward(d);
            outputs.Add((d, d.ToArray()));
        }

        // A second round with other inputs must not write into anything the first round returned.
        h = x2;
        foreach (var layer in layers)
        {
            h = layer.Forward(h, train: true);
        }

        for (int i = layers.Length - 1; i >= 0; i--)
        {
            dout = layers[i].Backward(dout.Clone());
            dout = dout.Clone();
        }

        foreach (var (tensor, copy) in outputs)
        {
            Assert.Equal(copy, tensor.ToArray());
        }
    }

    /// <summary>The book's backpropagation written with the public API, which returns new tensors: the reference for Gradient's buffers.</summary>
    private static Dictionary<string, float[]> PlainGradients(LayeredNetwork network, Tensor x, Tensor t)
    {
        var h = x;
        foreach (var layer in network.Layers)
        {
            h = layer.Forward(h, train: true);
        }

        network.LastLayer.Forward(h, t);
        var d = network.LastLayer.Backward(1);
        for (int i = network.Layers.Count - 1; i >= 0; i--)
        {
            d = network.Layers[i].Backward(d);
        }

        return network.Parameters.ToDictionary(p => p.Name, p => p.Grad.ToArray());
    }

    [Fact]
    public void Gradient_with_reused_buffers_equals_plain_backpropagation_batch_after_batch()
    {
        var reused = new SimpleConvNet([1, 10, 9], filters: 3, filterSize: 3, hidden: 7, classes: 5, init: "he", seed: 4);
        var plain = new SimpleConvNet([1, 10, 9], filters: 3, filterSize: 3, hidden: 7, classes: 5, init: "he", seed: 4);
        var random = new Random(5);
        foreach (int batch in new[] { 3, 3, 1, 3 })
        {
            var x = GradientCheck.Random([batch, 1, 10, 9], random, 1);
            var t = Tensor.FromValues(Enumerable.Range(0, batch).Select(i => (float)((i * 3 + batch) % 5)).ToArray());
            reused.Gradient(x, t);
            var expected = PlainGradients(plain, x, t);
            foreach (var p in reused.Parameters)
            {
                Assert.Equal(expected[p.Name], p.Grad.ToArray());
            }
        }

        // Reuse is switched off again: a public Forward after Gradient returns a tensor the next one does not touch.
        var first = reused.Forward(GradientCheck.Random([2, 1, 10, 9], random, 1), train: true);
        var copy = first.ToArray();
        reused.Forward(GradientCheck.Random([2, 1, 10, 9], random, 1), train: true);
        Assert.Equal(copy, first.ToArray());
    }

    [Fact]
    public void Gradient_with_reused_buffers_equals_plain_backpropagation_for_sigmoid_and_dropout_layers()
    {
        var reused = new MultiLayerNetExtend(13, [9, 7], 4, activation: "sigmoid", useDropout: true, dropoutRatio: 0.3, seed: 2);
        var plain = new MultiLayerNetExtend(13, [9, 7], 4, activation: "sigmoid", useDropout: true, dropoutRatio: 0.3, seed: 2);
        var random = new Random(6);
        foreach (int batch in new[] { 5, 5, 1 })
        {
            var x = GradientCheck.Random([batch, 13], random, 1);
            var t = Tensor.FromValues(Enumerable.Range(0, batch).Select(i => (float)(i % 4)).ToArray());
            reused.Gradient(x, t);
            var expected = PlainGradients(plain, x, t);
            foreach (var p in reused.Parameters)
            {
                Assert.Equal(expected[p.Name], p.Grad.ToArray());
            }
        }
    }

    /// <summary>A regression network (Affine then IdentityWithLoss), whose loss layer's Y is the scores themselves.</summary>
    private sealed class Regression : LayeredNetwork
    {
        public Regression() => SetLayers([3], [new Affine(new Parameter("W1", GradientCheck.Random([3, 2], new Random(1), 1)), new Parameter("b1", Tensor.Zeros(2)))], new IdentityWithLoss());
    }

    [Fact]
    public void The_loss_layers_y_after_gradient_is_not_overwritten_by_the_next_gradient()
    {
        var network = new Regression();
        var t = Tensor.Zeros(4, 2);
        network.Gradient(GradientCheck.Random([4, 3], new Random(2), 1), t);
        var y = network.LastLayer.Y!;
        var copy = y.ToArray();
        network.Gradient(GradientCheck.Random([4, 3], new Random(3), 1), t);
        Assert.Equal(copy, y.ToArray());
        Assert.NotEqual(copy, network.LastLayer.Y!.ToArray());
    }

    [Fact]
    public void Gradient_of_dense_layers_allocates_almost_nothing_per_iteration_in_steady_state()
    {
        // 784-100-100-10 with dropout, batch 100: each activation and gradient is 40-400 KB, fresh ones would be ~2 MB.
        var network = new MultiLayerNetExtend(784, [100, 100], 10, useDropout: true, dropoutRatio: 0.2, seed: 1);
        var x = GradientCheck.Random([100, 784], new Random(2), 1);
        var t = Tensor.FromValues(Enumerable.Range(0, 100).Select(i => (float)(i % 10)).ToArray());
        var adam = new Adam();
        for (int i = 0; i < 3; i++)
        {
            network.Gradient(x, t);
            adam.Update(network.Parameters);
        }

        long bytes = Allocations.OnThisThread(() =>
        {
            network.Gradient(x, t);
            adam.Update(network.Parameters);
        });
        Assert.InRange(bytes, 0, 64 * 1024);
    }

    [Fact]
    public void Gradient_of_a_conv_net_allocates_almost_nothing_per_iteration_in_steady_state()
    {
        // SimpleConvNet's shape on 12x12 images, batch 20: conv output 20·6·8·8 floats (31 KB) and the Affine/pool tensors;
        // fresh tensors per iteration would be ~100 KB, the measured steady state is Parallel.For's closures only.
        var network = new SimpleConvNet([1, 12, 12], filters: 6, filterSize: 5, hidden: 30, classes: 10, init: "he", seed: 1);
        var x = GradientCheck.Random([20, 1, 12, 12], new Random(2), 1);
        var t = Tensor.FromValues(Enumerable.Range(0, 20).Select(i => (float)(i % 10)).ToArray());
        var adam = new Adam();
        for (int i = 0; i < 3; i++)
        {
            network.Gradient(x, t);
            adam.Update(network.Parameters);
        }

        long bytes = Allocations.OnThisThread(() =>
        {
            network.Gradient(x, t);
            adam.Update(network.Parameters);
        });
        Assert.InRange(bytes, 0, 16 * 1024);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(17)]
    [InlineData(262144 + 37)] // past the parallel threshold, not a multiple of the vector width or the chunk
    public void Relu_forward_and_backward_match_a_plain_loop_with_nan_and_infinities(int length)
    {
        var x = GradientCheck.Random([length], new Random(length), 2);
        var dout = GradientCheck.Random([length], new Random(length + 1), 2);
        var xs = x.Span;
        var gs = dout.Span;
        for (int i = 0; i < length; i += 11)
        {
            xs[i] = i % 3 == 0 ? float.NaN : i % 3 == 1 ? float.PositiveInfinity : float.NegativeInfinity;
        }

        for (int i = 4; i < length; i += 7)
        {
            gs[i] = float.NaN;
        }

        var relu = new Relu();
        var y = relu.Forward(x, train: true);
        var dx = relu.Backward(dout);
        for (int i = 0; i < length; i++)
        {
            float expectedY = float.IsNaN(xs[i]) ? float.NaN : xs[i] > 0 ? xs[i] : 0f;
            float expectedDx = gs[i] * (expectedY > 0 ? 1f : 0f); // NaN dout spreads even where blocked, as the book's product
            Assert.Equal(expectedY, y.Span[i]);
            Assert.Equal(expectedDx, dx.Span[i]);
        }
    }

    [Fact]
    public void Dropout_draws_one_uniform_per_element_in_order_and_backward_applies_that_mask()
    {
        var x = GradientCheck.Random([3, 37], new Random(1), 2);
        x.Span[5] = float.NaN;
        var dropout = new Dropout(0.4, new Random(9));
        var y = dropout.Forward(x, train: true);
        var dout = GradientCheck.Random([3, 37], new Random(2), 1);
        var dx = dropout.Backward(dout);
        var draws = new Random(9);
        for (int i = 0; i < x.Length; i++)
        {
            float keep = draws.NextDouble() > 0.4 ? 1f : 0f;
            Assert.Equal(x.Span[i] * keep, y.Span[i]);
            Assert.Equal(dout.Span[i] * keep, dx.Span[i]);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(9)]
    [InlineData(262144 + 5)]
    public void Adam_matches_the_books_formulas_in_a_plain_double_loop_for_three_steps(int length)
    {
        var value = GradientCheck.Random([length], new Random(length), 1);
        var p = new Parameter("W", value);
        double[] theta = value.ToArray().Select(v => (double)v).ToArray();
        double[] m = new double[length], v = new double[length];
        var adam = new Adam(0.01, 0.8, 0.95);
        var random = new Random(7);
        for (int step = 1; step <= 3; step++)
        {
            var g = p.Grad.Span;
            for (int i = 0; i < length; i++)
            {
                g[i] = (float)(random.NextDouble() * 2 - 1);
            }

            g[length / 2] = step == 3 ? float.NaN : g[length / 2];
            // The book's Adam (common/optimizer.py), in double.
            double lrT = 0.01 * Math.Sqrt(1 - Math.Pow(0.95, step)) / (1 - Math.Pow(0.8, step));
            for (int i = 0; i < length; i++)
            {
                m[i] += (1 - 0.8) * (g[i] - m[i]);
                v[i] += (1 - 0.95) * ((double)g[i] * g[i] - v[i]);
                theta[i] -= lrT * m[i] / (Math.Sqrt(v[i]) + 1e-7);
            }

            adam.Update([p]);
            for (int i = 0; i < length; i++)
            {
                if (double.IsNaN(theta[i]))
                {
                    Assert.True(float.IsNaN(p.Value.Span[i]), $"step {step}, element {i}: expected NaN");
                    continue;
                }

                Assert.True(Math.Abs(theta[i] - p.Value.Span[i]) <= 1e-5 * Math.Max(1, Math.Abs(theta[i])),
                    $"step {step}, element {i}: expected {theta[i]}, got {p.Value.Span[i]}");
            }
        }

        Assert.Equal(1, p.Value.ToArray().Count(float.IsNaN));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(4321)]
    public void The_weight_decay_sum_of_squares_is_the_plain_double_sum(int length)
    {
        var values = GradientCheck.Random([Math.Max(length, 1)], new Random(length), 3).ToArray().Take(length).ToArray();
        double expected = 0;
        foreach (float f in values)
        {
            expected += (double)f * f;
        }

        Assert.Equal(expected, LayeredNetwork.SumOfSquares(values), 1e-12 * Math.Max(1, expected));
        if (length > 3)
        {
            values[3] = float.NaN;
            Assert.True(double.IsNaN(LayeredNetwork.SumOfSquares(values)));
        }
    }
}

/// <summary>The tiled transpose and Affine's dW through it, against plain loops on odd sizes.</summary>
public class MatrixTransposeTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 13)]
    [InlineData(8, 8)]
    [InlineData(100, 4320)]
    [InlineData(131, 517)] // parallel, edges in both directions
    public void Transpose_matches_a_plain_loop(int rows, int cols)
    {
        var source = GradientCheck.Random([rows, cols], new Random(rows + cols), 1).ToArray();
        source[0] = float.NaN;
        var destination = new float[rows * cols];
        MatrixTranspose.Run(source, rows, cols, destination);
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                Assert.Equal(source[r * cols + c], destination[c * rows + r]);
            }
        }
    }

    [Theory]
    [InlineData(1, 300, 3)]   // batch 1 (below the transpose threshold: the transposed GEMM operand)
    [InlineData(37, 513, 11)] // odd sizes through the transpose
    [InlineData(30, 701, 29)] // W large enough for Wᵀ to be stored by the transpose before packing
    public void Affine_dW_and_db_match_a_plain_double_loop(int n, int d, int m)
    {
        var w = new Parameter("W", GradientCheck.Random([d, m], new Random(1), 1));
        var b = new Parameter("b", Tensor.Zeros(m));
        var affine = new Affine(w, b);
        var x = GradientCheck.Random([n, d], new Random(2), 1);
        var dout = GradientCheck.Random([n, m], new Random(3), 1);
        affine.Forward(x, train: true);
        var dx = affine.Backward(dout);
        for (int i = 0; i < d; i++)
        {
            for (int j = 0; j < m; j++)
            {
                double sum = 0;
                for (int k = 0; k < n; k++)
                {
                    sum += (double)x[k, i] * dout[k, j];
                }

                Assert.True(Math.Abs(sum - w.Grad[i, j]) <= 1e-4 * Math.Max(1, Math.Abs(sum)), $"dW[{i}, {j}]: expected {sum}, got {w.Grad[i, j]}");
            }
        }

        for (int j = 0; j < m; j++)
        {
            double sum = 0;
            for (int k = 0; k < n; k++)
            {
                sum += dout[k, j];
            }

            Assert.True(Math.Abs(sum - b.Grad[j]) <= 1e-4 * Math.Max(1, Math.Abs(sum)));
        }

        for (int k = 0; k < n; k++)
        {
            for (int i = 0; i < d; i++)
            {
                double sum = 0;
                for (int j = 0; j < m; j++)
                {
                    sum += (double)dout[k, j] * w.Value[i, j];
                }

                Assert.True(Math.Abs(sum - dx[k, i]) <= 1e-4 * Math.Max(1, Math.Abs(sum)), $"dx[{k}, {i}]: expected {sum}, got {dx[k, i]}");
            }
        }
    }
}

/// <summary>The fused optimizer passes against the book's formulas in plain double loops, on sizes that take every path.</summary>
public class FusedOptimizerTests
{
    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (string name in new[] { "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam" })
        {
            foreach (int length in new[] { 1, 13, 262144 + 3 })
            {
                data.Add(name, length);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Three_steps_match_the_books_formulas_and_a_nan_gradient_stays_in_its_element(string name, int length)
    {
        const double Lr = 0.01, Momentum = 0.9, Decay = 0.99, Beta1 = 0.9, Beta2 = 0.999, Eps = 1e-7;
        var p = new Parameter("W", GradientCheck.Random([length], new Random(length), 1));
        double[] w = p.Value.ToArray().Select(v => (double)v).ToArray();
        double[] s1 = new double[length], s2 = new double[length];
        IOptimizer optimizer = OptimizerFactory.Create(name, Lr);
        var random = new Random(11);
        for (int step = 1; step <= 3; step++)
        {
            var g = p.Grad.Span;
            for (int i = 0; i < length; i++)
            {
                g[i] = (float)(random.NextDouble() * 2 - 1);
            }

            if (step == 3)
            {
                g[length - 1] = float.NaN;
            }

            // common/optimizer.py, in double.
            for (int i = 0; i < length; i++)
            {
                double gi = g[i];
                switch (name)
                {
                    case "sgd":
                        w[i] -= Lr * gi;
                        break;
                    case "momentum":
                        s1[i] = Momentum * s1[i] - Lr * gi;
                        w[i] += s1[i];
                        break;
                    case "nesterov":
                        s1[i] *= Momentum;
                        s1[i] -= Lr * gi;
                        w[i] += Momentum * Momentum * s1[i];
                        w[i] -= (1 + Momentum) * Lr * gi;
                        break;
                    case "adagrad":
                        s1[i] += gi * gi;
                        w[i] -= Lr * gi / (Math.Sqrt(s1[i]) + Eps);
                        break;
                    case "rmsprop":
                        s1[i] = Decay * s1[i] + (1 - Decay) * gi * gi;
                        w[i] -= Lr * gi / (Math.Sqrt(s1[i]) + Eps);
                        break;
                    default:
                        double lrT = Lr * Math.Sqrt(1 - Math.Pow(Beta2, step)) / (1 - Math.Pow(Beta1, step));
                        s1[i] += (1 - Beta1) * (gi - s1[i]);
                        s2[i] += (1 - Beta2) * (gi * gi - s2[i]);
                        w[i] -= lrT * s1[i] / (Math.Sqrt(s2[i]) + Eps);
                        break;
                }
            }

            optimizer.Update([p]);
            var actual = p.Value.Span;
            for (int i = 0; i < length; i++)
            {
                if (double.IsNaN(w[i]))
                {
                    Assert.True(float.IsNaN(actual[i]), $"{name} step {step} [{i}]: expected NaN, got {actual[i]}");
                }
                else
                {
                    Assert.True(Math.Abs(w[i] - actual[i]) <= 2e-6 * Math.Max(1, Math.Abs(w[i])), $"{name} step {step} [{i}]: expected {w[i]}, got {actual[i]}");
                }
            }
        }

        Assert.Equal(1, p.Value.ToArray().Count(float.IsNaN));
    }

    [Theory]
    [InlineData("sgd")]
    [InlineData("momentum")]
    [InlineData("nesterov")]
    [InlineData("adagrad")]
    [InlineData("rmsprop")]
    [InlineData("adam")]
    public void Updates_of_a_parameter_large_enough_for_the_worker_pool_allocate_nothing(string name)
    {
        IOptimizer optimizer = OptimizerFactory.Create(name, null);
        var w = new Parameter("W", Tensor.Zeros(433, 1001));
        w.Grad.Span.Fill(0.25f);
        optimizer.Update([w]);
        optimizer.Update([w]);
        Parameter[] parameters = [w];
        long allocated = Allocations.OnThisThread(() =>
        {
            for (int i = 0; i < 10; i++)
            {
                optimizer.Update(parameters);
            }
        });
        Assert.Equal(0, allocated);
    }
}
