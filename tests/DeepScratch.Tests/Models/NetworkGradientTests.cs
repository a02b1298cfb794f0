using DeepScratch.Models;
using DeepScratch.Tests.Layers;
using DeepScratch.Training;

namespace DeepScratch.Tests.Models;

/// <summary>
/// The book's gradient check (chapter 5) on whole networks: for every parameter, the backpropagated gradient against
/// the numerical gradient of <see cref="INetwork.Loss"/> in training mode. Criterion (see <see cref="GradientCheck"/>):
/// ‖backprop − numerical‖₂ / max(‖backprop‖₂, ‖numerical‖₂) ≤ 1e-3 per parameter tensor.
/// </summary>
public class NetworkGradientTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Two_layer_net_backprop_matches_the_numerical_gradient(bool oneHot)
    {
        // Weights of std 0.3 rather than the book's 0.01: with 0.01 the hidden pre-activations are ~0.03, and a nudge of
        // h would push some across ReLU's kink, where no finite difference equals the derivative.
        var net = new TwoLayerNet(inputSize: 20, hiddenSize: 10, outputSize: 5, weightInitStd: 0.3, seed: 3);
        var x = GradientCheck.Random([3, 20], new Random(5), 1);
        var t = oneHot ? LossLayerTests.OneHot([1, 4, 2], 5) : Tensor.FromValues(1, 4, 2);

        AssertGradientsMatch(net, x, t, h: 3e-3);
    }

    [Fact]
    public void Multi_layer_net_with_weight_decay_backprop_matches_the_numerical_gradient()
    {
        var net = new MultiLayerNet(20, [10, 8], 5, activation: "relu", weightInit: "he", weightDecayLambda: 0.1, seed: 3);
        var (x, t) = Batch(10, 20, 5, seed: 5);

        AssertGradientsMatch(net, x, t, h: 3e-3);
    }

    [Theory]
    [InlineData("relu", "he", 3e-3)]
    [InlineData("sigmoid", "xavier", 1e-2)]
    public void Batchnorm_net_with_weight_decay_backprop_matches_the_numerical_gradient(string activation, string init, double h)
    {
        var net = new MultiLayerNetExtend(20, [10, 8], 5, activation, init, weightDecayLambda: 0.1, useBatchnorm: true, seed: 3);
        var (x, t) = Batch(10, 20, 5, seed: 5);

        // BatchNorm subtracts the batch mean, so the biases feeding it (b1, b2) have a gradient of exactly 0.
        AssertGradientsMatch(net, x, t, h, zeroGradient: ["b1", "b2"]);
    }

    [Fact]
    public void Weight_decay_adds_half_lambda_sum_of_squared_weights_to_the_loss_and_lambda_W_to_the_gradient()
    {
        var plain = new MultiLayerNet(6, [4], 3, seed: 9);
        var decayed = new MultiLayerNet(6, [4], 3, weightDecayLambda: 0.5, seed: 9);
        var (x, t) = Batch(4, 6, 3, seed: 1);

        double squares = plain.Parameters.Where(p => p.Name.StartsWith('W')).Sum(p => p.Value.ToArray().Sum(v => (double)v * v));
        Assert.Equal(plain.Loss(x, t, train: true) + 0.25 * squares, decayed.Loss(x, t, train: true), 6);

        plain.Gradient(x, t);
        decayed.Gradient(x, t);
        for (int i = 0; i < plain.Parameters.Count; i++)
        {
            var p = plain.Parameters[i];
            var d = decayed.Parameters[i];
            for (int j = 0; j < p.Value.Length; j++)
            {
                float expected = p.Grad.Span[j] + (p.Name.StartsWith('W') ? 0.5f * p.Value.Span[j] : 0f);
                Assert.Equal(expected, d.Grad.Span[j], 5);
            }
        }
    }

    internal static (Tensor X, Tensor T) Batch(int n, int inputs, int classes, int seed)
    {
        var random = new Random(seed);
        var x = GradientCheck.Random([n, inputs], random, 1);
        var t = Tensor.Zeros(n);
        for (int i = 0; i < n; i++)
        {
            t[i] = random.Next(classes);
        }

        return (x, t);
    }

    private static void AssertGradientsMatch(INetwork net, Tensor x, Tensor t, double h, string[]? zeroGradient = null)
    {
        net.Gradient(x, t);
        var analytic = net.Parameters.ToDictionary(p => p.Name, p => p.Grad.Clone());
        foreach (var p in net.Parameters)
        {
            var numerical = NumericalGradient.Compute(() => net.Loss(x, t, train: true), p.Value, h);
            if (zeroGradient?.Contains(p.Name) == true)
            {
                Assert.True(GradientCheck.MaxAbs(analytic[p.Name]) < 1e-6, $"{p.Name}: backprop gradient should vanish, is up to {GradientCheck.MaxAbs(analytic[p.Name]):E2}");
                Assert.True(GradientCheck.MaxAbs(numerical) < 1e-4, $"{p.Name}: numerical gradient should vanish, is up to {GradientCheck.MaxAbs(numerical):E2}");
                continue;
            }

            Assert.True(GradientCheck.MaxAbs(numerical) > 1e-3, $"{p.Name}: the check is meaningless if the gradient is ~0");
            GradientCheck.AssertClose(p.Name, analytic[p.Name], numerical);
        }
    }
}
