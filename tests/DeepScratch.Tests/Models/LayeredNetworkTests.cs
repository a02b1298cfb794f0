using DeepScratch.Layers;
using DeepScratch.Models;
using DeepScratch.Tests.Layers;

namespace DeepScratch.Tests.Models;

/// <summary>
/// What <see cref="LayeredNetwork"/> does for any layer, whatever its type: the first layer's parameter-only backward
/// and weight decay follow <see cref="ILayer.BackwardParameters"/> and <see cref="Parameter.WeightDecay"/>.
/// </summary>
public class LayeredNetworkTests
{
    /// <summary>y = x ⊙ s elementwise: a layer with a parameter that is not an Affine (as a convolution will not be).</summary>
    private sealed class Scale(Parameter s) : ILayer
    {
        private Tensor? _x;

        public int BackwardCalls { get; private set; }

        public IReadOnlyList<Parameter> Parameters { get; } = [s];

        public Tensor Forward(Tensor x, bool train)
        {
            _x = x;
            var y = x.Clone();
            var ys = y.Span;
            for (int i = 0; i < ys.Length; i++)
            {
                ys[i] *= s.Value.Span[i % s.Value.Length];
            }

            return y;
        }

        public Tensor Backward(Tensor dout)
        {
            BackwardCalls++;
            var x = _x!;
            int d = s.Value.Length;
            var dx = dout.Clone();
            s.Grad.Span.Clear();
            for (int i = 0; i < dout.Length; i++)
            {
                s.Grad.Span[i % d] += dout.Span[i] * x.Span[i];
                dx.Span[i] = dout.Span[i] * s.Value.Span[i % d];
            }

            return dx;
        }
    }

    private sealed class Stacked : LayeredNetwork
    {
        public Stacked(int inputs, IReadOnlyList<ILayer> layers, double lambda, IReadOnlyDictionary<string, Tensor>? buffers = null)
        {
            SetLayers([inputs], layers, new SoftmaxWithLoss(), lambda, buffers);
        }

        public void SetAgain() => SetLayers([1], [new Relu()], new SoftmaxWithLoss());
    }

    /// <summary>An identity layer that keeps a variance as state, as BatchNorm does, without being one.</summary>
    private sealed class KeepsVariance(Tensor variance) : ILayer
    {
        public IReadOnlyList<Parameter> Parameters { get; } = [];

        public IReadOnlyList<Tensor> Variances { get; } = [variance];

        public Tensor Forward(Tensor x, bool train) => x;

        public Tensor Backward(Tensor dout) => dout;
    }

    private sealed class Empty : LayeredNetwork
    {
        public Empty() => SetLayers([3], [], new SoftmaxWithLoss());
    }

    [Fact]
    public void A_first_layer_that_is_not_Affine_gets_its_gradients_and_the_decay_its_parameters_are_marked_for()
    {
        var s = new Parameter("s1", new Tensor([0.5f, -1f, 2f], 3), weightDecay: true);
        var scale = new Scale(s);
        var w = new Parameter("W1", new Tensor([0.2f, -0.4f, 0.6f, 0.1f, -0.3f, 0.8f], 3, 2), weightDecay: true);
        var b = new Parameter("b1", new Tensor([0.05f, -0.05f], 2));
        var net = new Stacked(3, [scale, new Affine(w, b)], lambda: 0.1);
        var x = new Tensor([1f, -2f, 0.5f, 0.25f, 1.5f, -1f], 2, 3);

        double loss = net.Gradient(x, new Tensor([1f, 0f], 2));

        // numpy: h = x*s; a = h@W + b; cross-entropy of softmax(a) with delta 1e-7, plus 0.5·0.1·(Σs² + ΣW²) (b not decayed).
        Assert.Equal(0.8445497625885863, loss, 5);
        Assert.Equal(0.5170497625885863, net.LastDataLoss, 5);
        AssertClose([0.20999402032625547, -0.4489149319920407, -0.04845574671631592], s.Grad);
        AssertClose([0.15332835027187958, -0.17332835027187954, 0.7578298639840813, -0.6878298639840813, 0.4217377213023926, -0.3717377213023926], w.Grad);
        AssertClose([0.20496302695754798, -0.2049630269575479], b.Grad);
        Assert.Equal(1, scale.BackwardCalls); // its parameter-only backward is by default the full one
    }

    [Fact]
    public void The_book_networks_mark_the_weights_for_decay_and_not_biases_gammas_or_betas()
    {
        var extend = new MultiLayerNetExtend(6, [5, 4], 3, weightDecayLambda: 0.3, useBatchnorm: true, seed: 2);
        var two = new TwoLayerNet(6, 5, 3, seed: 2);
        Assert.Equal(["W1", "W2", "W3"], extend.Parameters.Where(p => p.WeightDecay).Select(p => p.Name));
        Assert.Equal(["b1", "gamma1", "beta1", "b2", "gamma2", "beta2", "b3"], extend.Parameters.Where(p => !p.WeightDecay).Select(p => p.Name));
        Assert.Equal(["W1", "W2"], two.Parameters.Where(p => p.WeightDecay).Select(p => p.Name));

        // The penalty by the book's rule, chosen by name as multi_layer_net.py does: 0.5·λ·Σ over W1..W3 of W².
        var x = GradientCheck.Random([4, 6], new Random(3), 1);
        double loss = extend.Loss(x, new Tensor([0f, 2f, 1f, 2f], 4), train: false);
        double squares = extend.Parameters.Where(p => p.Name.StartsWith('W')).Sum(p => p.Value.ToArray().Sum(v => (double)v * v));
        Assert.Equal(extend.LastDataLoss + 0.5 * 0.3 * squares, loss, 9);
    }

    [Fact]
    public void Affine_skips_only_dx_when_asked_for_its_parameter_gradients_through_ILayer()
    {
        var random = new Random(7);
        ILayer full = new Affine(new Parameter("W1", GradientCheck.Random([4, 3], random, 1)), new Parameter("b1", GradientCheck.Random([3], random, 1)));
        ILayer skip = new Affine(new Parameter("W1", full.Parameters[0].Value.Clone()), new Parameter("b1", full.Parameters[1].Value.Clone()));
        var x = GradientCheck.Random([5, 4], random, 1);
        var dout = GradientCheck.Random([5, 3], random, 1);
        full.Forward(x, train: true);
        skip.Forward(x, train: true);
        full.Backward(dout);
        skip.BackwardParameters(dout);

        // dW = xᵀ·dout and db = Σ dout, by a plain loop.
        var dw = new float[12];
        var db = new float[3];
        for (int n = 0; n < 5; n++)
        {
            for (int j = 0; j < 3; j++)
            {
                db[j] += dout.Span[n * 3 + j];
                for (int i = 0; i < 4; i++)
                {
                    dw[i * 3 + j] += x.Span[n * 4 + i] * dout.Span[n * 3 + j];
                }
            }
        }

        foreach (var layer in new[] { full, skip })
        {
            AssertClose(dw.Select(v => (double)v).ToArray(), layer.Parameters[0].Grad);
            AssertClose(db.Select(v => (double)v).ToArray(), layer.Parameters[1].Grad);
        }
    }

    [Fact]
    public void Layers_are_set_once_and_a_network_needs_at_least_one()
    {
        var net = new Stacked(3, [new Relu()], lambda: 0);
        var again = Assert.Throws<InvalidOperationException>(net.SetAgain);
        Assert.Equal("The layers of Stacked are already set.", again.Message);
        var empty = Assert.Throws<ArgumentException>(() => new Empty());
        Assert.StartsWith("A network needs at least one layer before its loss layer.", empty.Message);
    }

    [Fact]
    public void Evaluation_and_Accuracy_count_the_same_hits_on_a_layered_network()
    {
        var net = new TwoLayerNet(12, 8, 4, weightInitStd: 0.5, seed: 4);
        var x = GradientCheck.Random([23, 12], new Random(5), 1);
        var scores = net.Forward(x, train: false).ToArray();
        var labels = new byte[23];
        int expected = 0;
        for (int i = 0; i < 23; i++)
        {
            // A plain argmax of each row's scores; every fourth label is made wrong on purpose.
            int best = 0;
            for (int j = 1; j < 4; j++)
            {
                best = scores[i * 4 + j] > scores[i * 4 + best] ? j : best;
            }

            labels[i] = (byte)(i % 4 == 0 ? (best + 1) % 4 : best);
            expected += labels[i] == best ? 1 : 0;
        }

        Assert.Equal(17, expected);
        foreach (int batch in new[] { 1, 5, 100 })
        {
            Assert.Equal(expected, Evaluation.Evaluate(net, x, labels, batch).Correct);
            Assert.Equal(expected / 23.0, net.Accuracy(x, new Tensor(labels.Select(l => (float)l).ToArray(), 23), batch), 12);
        }

        Assert.Equal(expected, Evaluation.EvaluatePerImage(net, x, labels).Correct);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => net.Accuracy(x, Tensor.Zeros(23), batchSize: 0));
        Assert.StartsWith("Batch size must be at least 1; got 0.", e.Message);
    }

    [Fact]
    public void Classes_and_description_come_from_the_network_itself()
    {
        var two = new TwoLayerNet(6, 5, 3, seed: 2);
        var plain = new MultiLayerNet(12, [8, 6], 4, "sigmoid", "xavier", weightDecayLambda: 0.01);
        var extend = new MultiLayerNetExtend(12, [8], 7, useDropout: true, dropoutRatio: 0.2, useBatchnorm: true);
        var custom = new Stacked(3, [new Relu()], lambda: 0);
        Assert.Equal([3, 4, 7, 3], new IClassifier[] { two, plain, extend, custom }.Select(n => n.Classes));
        Assert.Equal("two-layer 6-5-3", two.Description);
        Assert.Equal("multi-layer 12-8-6-4 (sigmoid)", plain.Description);
        Assert.Equal("multi-layer-extend 12-8-7 (relu, batchnorm, dropout 0.2)", extend.Description);
        // Issue 9 changed this contract: every book network compiles for the engine; a layer that cannot describe its
        // inference (Scale below) leaves the network without one, and streaming evaluation then calls Predict.
        Assert.NotNull(((IClassifier)two).CreatePredictor(10));
        var undescribed = new Stacked(2, [new Scale(new Parameter("s1", new Tensor([1f, 1f], 2)))], 0);
        Assert.Null(((IClassifier)undescribed).CreatePredictor(10));
    }

    [Fact]
    public void Loading_refuses_a_negative_value_in_any_layer_s_variances_and_changes_nothing()
    {
        var variance = new Tensor([1f, 2f], 2);
        var scale = new Parameter("s1", new Tensor([1f, 1f], 2));
        var net = new Stacked(2, [new Scale(scale), new KeepsVariance(variance)], 0, new Dictionary<string, Tensor> { ["var1"] = variance });

        var e = Assert.Throws<ArgumentException>(() => net.LoadParameters(new Dictionary<string, Tensor>
        {
            ["s1"] = new Tensor([3f, 4f], 2),
            ["var1"] = new Tensor([-0.5f, -1f], 2),
        }));
        Assert.StartsWith("var1 holds 2 negative values (of 2): a variance cannot be negative (its square root would be NaN).", e.Message);
        Assert.Equal([1f, 1f], scale.Value.ToArray());
        Assert.Equal([1f, 2f], variance.ToArray());

        net.LoadParameters(new Dictionary<string, Tensor> { ["s1"] = new Tensor([3f, 4f], 2), ["var1"] = new Tensor([0f, 5f], 2) });
        Assert.Equal([3f, 4f], scale.Value.ToArray());
        Assert.Equal([0f, 5f], variance.ToArray());
    }

    private static void AssertClose(double[] expected, Tensor actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual.Span[i]) < 1e-5, $"element {i}: expected {expected[i]}, got {actual.Span[i]}");
        }
    }
}
