using DeepScratch.Layers;
using DeepScratch.Models;
using DeepScratch.Tests.Layers;

namespace DeepScratch.Tests.Models;

/// <summary>The chapter 5-6 networks: seeded initialisation, naming, prediction, accuracy, rebuilding and loading.</summary>
public class NetworkTests
{
    public static TheoryData<string> Kinds => ["two-layer", "multi-layer", "extend-bn-dropout"];

    internal static INetwork Make(string kind, int seed) => kind switch
    {
        "two-layer" => new TwoLayerNet(12, 8, 4, seed: seed),
        "multi-layer" => new MultiLayerNet(12, [8, 6], 4, "sigmoid", "xavier", weightDecayLambda: 0.01, seed: seed),
        _ => new MultiLayerNetExtend(12, [8, 6], 4, weightDecayLambda: 0.01, useDropout: true, dropoutRatio: 0.2, useBatchnorm: true, seed: seed),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void The_same_seed_gives_bit_identical_weights_and_another_seed_different_ones(string kind)
    {
        var a = Make(kind, seed: 7);
        var b = Make(kind, seed: 7);
        var c = Make(kind, seed: 8);

        for (int i = 0; i < a.Parameters.Count; i++)
        {
            Assert.Equal(a.Parameters[i].Value.ToArray(), b.Parameters[i].Value.ToArray());
        }

        Assert.NotEqual(a.Parameters[0].Value.ToArray(), c.Parameters[0].Value.ToArray());
    }

    [Fact]
    public void Parameters_and_buffers_carry_the_book_names()
    {
        Assert.Equal(["W1", "b1", "W2", "b2"], new TwoLayerNet(4, 3, 2).Parameters.Select(p => p.Name));
        Assert.Equal(["W1", "b1", "W2", "b2", "W3", "b3"], new MultiLayerNet(4, [3, 3], 2).Parameters.Select(p => p.Name));
        var bn = new MultiLayerNetExtend(4, [3, 3], 2, useBatchnorm: true);
        Assert.Equal(["W1", "b1", "gamma1", "beta1", "W2", "b2", "gamma2", "beta2", "W3", "b3"], bn.Parameters.Select(p => p.Name));
        Assert.Equal(["running_mean1", "running_var1", "running_mean2", "running_var2"], bn.Buffers.Keys);
        Assert.Empty(new MultiLayerNetExtend(4, [3, 3], 2, useDropout: true).Buffers);
    }

    [Fact]
    public void Weights_start_with_the_requested_spread_and_biases_gammas_and_betas_as_in_the_book()
    {
        var he = new MultiLayerNetExtend(784, [100], 10, weightInit: "he", useBatchnorm: true, seed: 1);
        AssertStd(Math.Sqrt(2.0 / 784), he.Parameters[0].Value);
        AssertStd(Math.Sqrt(2.0 / 100), he.Parameters[4].Value);
        Assert.All(he.Parameters[1].Value.ToArray(), v => Assert.Equal(0f, v));
        Assert.All(he.Parameters[2].Value.ToArray(), v => Assert.Equal(1f, v));
        Assert.All(he.Parameters[3].Value.ToArray(), v => Assert.Equal(0f, v));

        AssertStd(Math.Sqrt(1.0 / 784), new MultiLayerNet(784, [100], 10, "sigmoid", "xavier", seed: 1).Parameters[0].Value);
        AssertStd(0.01, new TwoLayerNet(784, 100, 10, seed: 1).Parameters[0].Value);
        AssertStd(0.05, new MultiLayerNet(784, [100], 10, weightInit: "0.05", seed: 1).Parameters[0].Value);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Predict_gives_probabilities_for_a_batch_or_one_example_at_inference(string kind)
    {
        var net = Make(kind, seed: 2);
        var x = GradientCheck.Random([5, 12], new Random(3), 1);

        var batch = net.Predict(x);
        var single = net.Predict(x.Row(3));

        Assert.Equal([12], net.InputShape);
        Assert.Equal([5, 4], batch.Shape.ToArray());
        Assert.Equal([4], single.Shape.ToArray());
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(1.0, batch.Row(i).ToArray().Sum(v => (double)v), 5);
        }

        Assert.Equal(batch.ToArray(), net.Predict(x).ToArray()); // inference is deterministic, even with Dropout
        Assert.Equal(batch.Row(3).ToArray(), single.ToArray(), (a, b) => Math.Abs(a - b) < 1e-6f);
    }

    [Fact]
    public void Accuracy_counts_argmax_hits_for_index_and_one_hot_labels_in_any_batch_size()
    {
        var net = new TwoLayerNet(12, 8, 4, weightInitStd: 0.5, seed: 4);
        var x = GradientCheck.Random([23, 12], new Random(5), 1);
        var predicted = net.Predict(x).ArgMaxLastAxis();
        int[] labels = predicted.Select((p, i) => i % 3 == 0 ? (p + 1) % 4 : p).ToArray(); // 8 of 23 wrong
        var indices = new Tensor(labels.Select(l => (float)l).ToArray(), 23);

        Assert.Equal(15 / 23.0, net.Accuracy(x, indices), 12);
        Assert.Equal(15 / 23.0, net.Accuracy(x, LossLayerTests.OneHot(labels, 4), batchSize: 5), 12);
        Assert.Equal(15 / 23.0, net.Accuracy(x, indices, batchSize: 1), 12);
        var e = Assert.Throws<ArgumentException>(() => net.Accuracy(x, Tensor.Zeros(22)));
        Assert.Contains("(22,)", e.Message);
    }

    [Fact]
    public void Batchnorm_net_uses_batch_statistics_in_training_and_running_ones_at_inference()
    {
        var net = new MultiLayerNetExtend(12, [8], 4, useBatchnorm: true, seed: 6);
        var (x, t) = NetworkGradientTests.Batch(16, 12, 4, seed: 7);

        double before = net.Loss(x, t, train: false); // running statistics still at 0 mean, 0 variance
        double training = net.Loss(x, t, train: true); // also moves the running statistics
        double after = net.Loss(x, t, train: false);

        Assert.NotEqual(training, after);
        Assert.NotEqual(before, after);
        Assert.NotEqual(0f, net.Buffers["running_mean1"].ToArray().Select(Math.Abs).Max());
        Assert.Equal(after, net.Loss(x, t, train: false)); // inference does not touch them
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void The_architecture_rebuilds_the_same_network_and_loading_its_tensors_restores_its_predictions(string kind)
    {
        var original = Make(kind, seed: 11);
        var (x, t) = NetworkGradientTests.Batch(8, 12, 4, seed: 12);
        Train(original, x, t, steps: 5, learningRate: 0.1f); // moves weights and running statistics away from the initial ones

        var rebuilt = NetworkFactory.Create(original.Architecture, seed: 11);
        Assert.Equal(original.GetType(), rebuilt.GetType());
        Assert.Equal(original.Architecture, rebuilt.Architecture);
        Assert.Equal(Make(kind, seed: 11).Parameters[0].Value.ToArray(), rebuilt.Parameters[0].Value.ToArray());

        var saved = original.Parameters.ToDictionary(p => p.Name, p => p.Value.Clone());
        foreach (var (name, value) in original.Buffers)
        {
            saved[name] = value.Clone();
        }

        rebuilt.LoadParameters(saved);

        Assert.Equal(original.Predict(x).ToArray(), rebuilt.Predict(x).ToArray());
    }

    [Fact]
    public void Architectures_describe_every_choice_as_text()
    {
        var net = new MultiLayerNetExtend(784, [100, 100], 10, "relu", "he", 0.001, useDropout: true, dropoutRatio: 0.5, useBatchnorm: true);
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["model"] = "multi-layer-extend", ["input"] = "784", ["hidden"] = "100,100", ["output"] = "10", ["activation"] = "relu",
                ["init"] = "he", ["weight_decay"] = "0.001", ["batchnorm"] = "true", ["dropout"] = "0.5",
            },
            net.Architecture);
        Assert.Equal("two-layer", new TwoLayerNet(784, 50, 10).Architecture["model"]);
        Assert.Equal("0.01", new TwoLayerNet(784, 50, 10).Architecture["init"]);
        Assert.Equal("none", new MultiLayerNetExtend(4, [3], 2).Architecture["dropout"]);
    }

    [Fact]
    public void Loading_checks_every_name_and_shape_and_changes_nothing_when_one_is_wrong()
    {
        var net = new MultiLayerNetExtend(4, [3], 2, useBatchnorm: true, seed: 1);
        var good = net.Parameters.ToDictionary(p => p.Name, p => Tensor.Zeros(p.Value.Shape.ToArray()));
        foreach (var (name, value) in net.Buffers)
        {
            good[name] = Tensor.Zeros(value.Shape.ToArray());
        }

        var w1 = net.Parameters[0].Value.ToArray();

        var missing = new Dictionary<string, Tensor>(good);
        missing.Remove("running_var1");
        var e1 = Assert.Throws<ArgumentException>(() => net.LoadParameters(missing));
        Assert.Contains("missing running_var1", e1.Message);

        var unknown = new Dictionary<string, Tensor>(good) { ["W9"] = Tensor.Zeros(1) };
        Assert.Contains("not in this network: W9", Assert.Throws<ArgumentException>(() => net.LoadParameters(unknown)).Message);

        var wrongShape = new Dictionary<string, Tensor>(good) { ["W2"] = Tensor.Zeros(2, 3) };
        var e3 = Assert.Throws<ArgumentException>(() => net.LoadParameters(wrongShape));
        Assert.Contains("W2 has shape (2, 3) but the network needs (3, 2)", e3.Message);

        Assert.Equal(w1, net.Parameters[0].Value.ToArray());
        net.LoadParameters(good);
        Assert.All(net.Parameters[0].Value.ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void The_factory_explains_what_is_wrong_with_an_architecture()
    {
        var unknown = Assert.Throws<ArgumentException>(() => NetworkFactory.Create(new Dictionary<string, string> { ["model"] = "convnet" }));
        Assert.Contains("convnet", unknown.Message);

        var missing = Assert.Throws<ArgumentException>(() => NetworkFactory.Create(new Dictionary<string, string> { ["model"] = "multi-layer", ["input"] = "4" }));
        Assert.Contains("\"hidden\"", missing.Message);

        var bad = new Dictionary<string, string>(new MultiLayerNet(4, [3], 2).Architecture) { ["hidden"] = "3,x" };
        Assert.Contains("\"3,x\"", Assert.Throws<ArgumentException>(() => NetworkFactory.Create(bad)).Message);

        var badActivation = new Dictionary<string, string>(new MultiLayerNet(4, [3], 2).Architecture) { ["activation"] = "tanh" };
        Assert.Contains("tanh", Assert.Throws<ArgumentException>(() => NetworkFactory.Create(badActivation)).Message);

        var extra = new Dictionary<string, string>(new TwoLayerNet(4, 3, 2).Architecture) { ["trained_epochs"] = "17" };
        Assert.IsType<TwoLayerNet>(NetworkFactory.Create(extra));
    }

    [Theory]
    [InlineData("two-layer")]
    [InlineData("extend-bn-dropout")]
    public void Learning_with_plain_SGD_halves_the_loss_on_a_tiny_classification_problem(string kind)
    {
        // Three Gaussian blobs in 2-D, 90 points; full-batch SGD written out here.
        var random = new Random(21);
        float[][] centers = [[0, 2], [2, -1], [-2, -1]];
        var x = Tensor.Zeros(90, 2);
        var t = Tensor.Zeros(90);
        for (int i = 0; i < 90; i++)
        {
            int c = i % 3;
            t[i] = c;
            var noise = WeightInit.Normal(random, 0.5, 2);
            x[i, 0] = centers[c][0] + noise[0];
            x[i, 1] = centers[c][1] + noise[1];
        }

        INetwork net = kind == "two-layer"
            ? new TwoLayerNet(2, 16, 3, weightInitStd: 0.1, seed: 1)
            : new MultiLayerNetExtend(2, [16, 16], 3, useDropout: true, dropoutRatio: 0.1, useBatchnorm: true, seed: 1);
        double initial = net.Loss(x, t, train: false);

        Train(net, x, t, steps: 200, learningRate: 0.1f);

        double final = net.Loss(x, t, train: false);
        Assert.True(final < initial / 2, $"loss went from {initial} to {final}, not below half");
        Assert.True(net.Accuracy(x, t) > 0.9, $"accuracy {net.Accuracy(x, t)}");
    }

    private static void Train(INetwork net, Tensor x, Tensor t, int steps, float learningRate)
    {
        for (int step = 0; step < steps; step++)
        {
            net.Gradient(x, t);
            foreach (var p in net.Parameters)
            {
                var value = p.Value.Span;
                var grad = p.Grad.Span;
                for (int i = 0; i < value.Length; i++)
                {
                    value[i] -= learningRate * grad[i];
                }

            }
        }
    }

    /// <summary>The sample standard deviation is within 4 standard errors (σ/√(2n)) of the expected one, mean near 0.</summary>
    private static void AssertStd(double expected, Tensor w)
    {
        var values = w.ToArray();
        double mean = values.Average(v => (double)v);
        double std = Math.Sqrt(values.Average(v => (v - mean) * (v - mean)));
        double standardError = expected / Math.Sqrt(2.0 * values.Length);
        Assert.InRange(std, expected - 4 * standardError, expected + 4 * standardError);
        Assert.InRange(mean, -4 * expected / Math.Sqrt(values.Length), 4 * expected / Math.Sqrt(values.Length));
    }
}
