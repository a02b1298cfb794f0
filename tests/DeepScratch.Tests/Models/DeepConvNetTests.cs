using DeepScratch.Layers;
using DeepScratch.Models;
using DeepScratch.Tests.Layers;

namespace DeepScratch.Tests.Models;

/// <summary>
/// DeepConvNet (ch08/deep_convnet.py): the book's layer list and paddings, He initialisation by fan-in (the book's
/// pre_node_nums), inference dropout scaling, the gradient check, and deep_convnet_params.pkl giving exactly 9797 / 10000.
/// </summary>
public class DeepConvNetTests
{
    [Fact]
    public void The_book_network_has_the_books_layers_paddings_and_parameter_shapes()
    {
        var net = new DeepConvNet();

        Assert.Equal(
            ["Convolution", "Relu", "Convolution", "Relu", "Pooling", "Convolution", "Relu", "Convolution", "Relu", "Pooling",
             "Convolution", "Relu", "Convolution", "Relu", "Pooling", "Affine", "Relu", "Dropout", "Affine", "Dropout"],
            net.Layers.Select(l => l.GetType().Name));
        Assert.Equal([1, 1, 1, 2, 1, 1], net.Layers.OfType<Convolution>().Select(c => c.Pad));
        Assert.All(net.Layers.OfType<Convolution>(), c => Assert.Equal(1, c.Stride));
        Assert.All(net.Layers.OfType<Pooling>(), p => Assert.Equal((2, 2, 2, 0), (p.PoolH, p.PoolW, p.Stride, p.Pad)));
        Assert.All(net.Layers.OfType<Dropout>(), d => Assert.Equal(0.5, d.Ratio));
        // 28 → 28 → 28 → pool 14 → 14 → (14 + 4 − 3) + 1 = 16 → pool 8 → 8 → 8 → pool 4: 64 x 4 x 4 = 1024.
        Assert.Equal(
            ["W1 (16, 1, 3, 3)", "b1 (16,)", "W2 (16, 16, 3, 3)", "b2 (16,)", "W3 (32, 16, 3, 3)", "b3 (32,)",
             "W4 (32, 32, 3, 3)", "b4 (32,)", "W5 (64, 32, 3, 3)", "b5 (64,)", "W6 (64, 64, 3, 3)", "b6 (64,)",
             "W7 (1024, 50)", "b7 (50,)", "W8 (50, 10)", "b8 (10,)"],
            net.Parameters.Select(p => $"{p.Name} {p.Value.ShapeString}"));
        Assert.Equal(10, net.Classes);
    }

    [Fact]
    public void The_weights_are_drawn_with_the_He_std_of_the_books_pre_node_nums()
    {
        var net = new DeepConvNet(seed: 6);
        // The book's pre_node_nums: 1·3·3, 16·3·3, 16·3·3, 32·3·3, 32·3·3, 64·3·3, 64·4·4, 50.
        int[] fanIn = [9, 144, 144, 288, 288, 576, 1024, 50];
        for (int i = 1; i <= 8; i++)
        {
            var w = net.Parameters.Single(p => p.Name == $"W{i}").Value;
            double expected = Math.Sqrt(2.0 / fanIn[i - 1]);
            // Sampling error of a std from n values is ~1/√(2n): 144 values of W1 → 6 %; allow 4 of those, at least 3 %.
            double tolerance = Math.Max(0.03, 4 / Math.Sqrt(2.0 * w.Length));
            Assert.InRange(ConvNetChecks.Std(w) / expected, 1 - tolerance, 1 + tolerance);
        }

        Assert.All(net.Parameters.Where(p => p.Name.StartsWith('b')), p => Assert.All(p.Value.ToArray(), v => Assert.Equal(0f, v)));
    }

    [Fact]
    public void Inference_scales_by_one_minus_the_dropout_ratio_twice_as_the_book_does()
    {
        // The same weights with ratio 0 and 0.5: the fc1 ReLU output is halved, then the scores are halved again,
        // so the scores at inference are a quarter of the undropped ones (b8 is 0, so it is not scaled separately).
        var plain = new DeepConvNet(dropoutRatio: 0, seed: 1);
        var book = new DeepConvNet(dropoutRatio: 0.5, seed: 1);
        var x = GradientCheck.Random([2, 1, 28, 28], new Random(3), 1);

        var expected = plain.Forward(x, train: false).ToArray().Select(v => v * 0.25f).ToArray();
        var actual = book.Forward(x, train: false).ToArray();
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 1e-5f + 1e-5f * Math.Abs(expected[i]));
        }
    }

    [Fact]
    public void Backprop_matches_the_numerical_gradient_on_a_small_input()
    {
        // An 8x8 input goes 8 → pool 4 → (4 + 4 − 3) + 1 = 6 → pool 3 → pool 1; ratio 0 keeps every neuron so that the
        // loss is a fixed function of the weights (Dropout's own masks are checked in DropoutTests).
        var net = new DeepConvNet(inputShape: [1, 8, 8], classes: 4, dropoutRatio: 0, weightDecay: 0.05, seed: 2);
        Assert.Equal("W7 (64, 50)", $"W7 {net.Parameters.Single(p => p.Name == "W7").Value.ShapeString}");
        // With He weights, thousands of ReLU inputs lie within a step's reach of 0 in a 6-convolution net, and each
        // one crossed bends the finite difference (errors of ~1 % at any h float32 can resolve). Positive images,
        // weights in (0, 2/fan_in) and biases in (0, 0.1) keep every pre-activation positive, so the check sees a smooth
        // loss through every convolution, pool route and affine; W8 takes both signs, as the scores need.
        var random = new Random(11);
        foreach (var p in net.Parameters)
        {
            var v = p.Value.Span;
            int fanIn = p.Value.Length / p.Value.Dim(0);
            double high = p.Name == "W8" ? 0 : p.Name.StartsWith('W') ? 2.0 / (p.Value.Rank == 4 ? fanIn : p.Value.Dim(0)) : 0.1;
            for (int i = 0; i < v.Length; i++)
            {
                v[i] = p.Name == "W8" ? (float)(random.NextDouble() * 2 - 1) : (float)(random.NextDouble() * high);
            }
        }

        var x = Tensor.Zeros(2, 1, 8, 8);
        for (int i = 0; i < x.Length; i++)
        {
            x.Span[i] = (float)random.NextDouble();
        }

        var t = Tensor.FromValues(3, 0);
        // Along directions (the gradient's and 3 random ones): a single W1 entry moves the loss by ~1e-6, float32's own
        // rounding of it; h = 1e-2 on a unit direction is smooth enough here (1e-3 leaves errors of ~1e-3 from rounding alone).
        ConvNetChecks.AssertDirectionalDerivativesMatch(net, x, t, h: 1e-2, randomDirections: 3, seed: 7);
    }

    [Fact]
    public void The_books_deep_convnet_params_pkl_classifies_exactly_9797_of_the_10000_test_images()
    {
        var (x, labels) = ConvNetChecks.MnistTest;
        var net = ConvNetChecks.WithBookWeights(new DeepConvNet(), "deep_convnet_params.pkl");

        Assert.Equal(9797, Evaluation.Evaluate(net, x, labels, batchSize: 1000).Correct);
    }

    [Fact]
    public void NetworkFactory_rebuilds_it_and_a_saved_network_reloads_with_the_same_outputs()
    {
        var net = new DeepConvNet(inputShape: [1, 8, 8], classes: 3, dropoutRatio: 0.25, seed: 4);
        var rebuilt = Assert.IsType<DeepConvNet>(NetworkFactory.Create(net.Architecture, seed: 4));
        Assert.Equal(net.Parameters.Select(p => p.Value.ToArray()), rebuilt.Parameters.Select(p => p.Value.ToArray()));
        Assert.Equal(0.25, rebuilt.Layers.OfType<Dropout>().First().Ratio);

        using var folder = new Data.TempFolder();
        string path = Path.Combine(folder.Path, "deep.safetensors");
        ModelFile.Save(path, net);
        var loaded = Assert.IsType<DeepConvNet>(ModelFile.Load(path));
        var x = GradientCheck.Random([2, 1, 8, 8], new Random(1), 1);
        Assert.Equal(net.Forward(x, train: false).ToArray(), loaded.Forward(x, train: false).ToArray());
        Assert.Equal(new DeepConvNet().Architecture, NetworkFactory.Create(new Dictionary<string, string> { ["model"] = NetworkFactory.DeepCnn }).Architecture);
    }
}
