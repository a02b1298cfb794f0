using DeepScratch.Layers;

namespace DeepScratch.Tests.Layers;

/// <summary>
/// BatchNorm's training forward and backward run as fused vector passes into kept buffers; they must give exactly the
/// numbers of the book's numpy expressions evaluated one array at a time (here: the same expressions on whole
/// tensors, each a separate float operation), for widths with and without a vector tail, with reuse on and off.
/// </summary>
public sealed class BatchNormPassTests
{
    [Theory]
    [InlineData(1, 1, false)]
    [InlineData(7, 19, false)]
    [InlineData(100, 100, true)]
    [InlineData(33, 64, true)]
    public void Training_forward_and_backward_equal_the_books_expressions_bit_for_bit(int n, int d, bool reuse)
    {
        var random = new Random(n * 1000 + d);
        var gamma = GradientCheck.Random([d], random, 2);
        var beta = GradientCheck.Random([d], random, 1);
        var layer = new BatchNormalization(new Parameter("gamma1", gamma.Clone()), new Parameter("beta1", beta.Clone()));
        ((IReusesBuffers)layer).ReuseBuffers = reuse;
        for (int round = 0; round < 2; round++)
        {
            // Two rounds: the second runs on the kept buffers with stale contents.
            var x = GradientCheck.Random([n, d], random, 5);
            var dout = GradientCheck.Random([n, d], random, 1);
            var y = layer.Forward(x, train: true).ToArray();
            var dx = layer.Backward(dout).ToArray();

            // The book's forward (common/layers.py, BatchNormalization.__forward) ...
            var mu = x.MeanAxis0();
            var xc = x.SubtractRowVector(mu);
            var variance = (xc * xc).MeanAxis0();
            var std = variance + (float)BatchNormalization.DefaultEpsilon;
            System.Numerics.Tensors.TensorPrimitives.Sqrt(std.Span, std.Span);
            var xn = xc.DivideRowVector(std);
            var expectedY = xn.MultiplyRowVector(gamma).AddRowVector(beta);
            // ... and backward (__backward).
            var dbeta = dout.SumAxis0();
            var dgamma = (xn * dout).SumAxis0();
            var dxn = dout.MultiplyRowVector(gamma);
            var dxc = dxn.DivideRowVector(std);
            var dstd = -(dxn * xc).DivideRowVector(std * std).SumAxis0();
            var dvar = dstd * 0.5f / std;
            dxc = dxc + xc.MultiplyRowVector(dvar) * (2f / n);
            var dmu = dxc.SumAxis0();
            var expectedDx = dxc.SubtractRowVector(dmu / n);

            Assert.Equal(expectedY.ToArray(), y);
            Assert.Equal(expectedDx.ToArray(), dx);
            Assert.Equal(dbeta.ToArray(), layer.Beta.Grad.ToArray());
            Assert.Equal(dgamma.ToArray(), layer.Gamma.Grad.ToArray());
        }
    }

    [Fact]
    public void Training_with_reuse_off_returns_a_new_tensor_each_time()
    {
        var layer = new BatchNormalization(new Parameter("gamma1", GradientCheck.Random([5], new Random(1), 1)), new Parameter("beta1", Tensor.Zeros(5)));
        var first = layer.Forward(GradientCheck.Random([4, 5], new Random(2), 1), train: true);
        var kept = first.ToArray();
        var second = layer.Forward(GradientCheck.Random([4, 5], new Random(3), 1), train: true);
        Assert.NotSame(first, second);
        Assert.Equal(kept, first.ToArray());
    }

    [Fact]
    public void A_nan_input_spreads_to_its_features_outputs_and_gradients_as_numpy_does()
    {
        var layer = new BatchNormalization(new Parameter("gamma1", GradientCheck.Random([3], new Random(1), 1)), new Parameter("beta1", Tensor.Zeros(3)));
        var x = GradientCheck.Random([4, 3], new Random(2), 1);
        x.Span[1 * 3 + 2] = float.NaN; // example 1, feature 2: that feature's mean is NaN, so its whole column
        var y = layer.Forward(x, train: true).ToArray();
        var dx = layer.Backward(GradientCheck.Random([4, 3], new Random(3), 1)).ToArray();
        for (int i = 0; i < 4; i++)
        {
            Assert.True(float.IsNaN(y[i * 3 + 2]) && float.IsNaN(dx[i * 3 + 2]));
            Assert.True(float.IsFinite(y[i * 3]) && float.IsFinite(y[i * 3 + 1]) && float.IsFinite(dx[i * 3]) && float.IsFinite(dx[i * 3 + 1]));
        }
    }
}
