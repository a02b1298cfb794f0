using DeepScratch.Layers;
using DeepScratch.Models;
using DeepScratch.Tests.Layers;

namespace DeepScratch.Tests.Models;

/// <summary>
/// SimpleConvNet (ch07/simple_convnet.py): the book's layers and shapes, its init std 0.01 on the drawn weights, the
/// gradient check, and the book's params.pkl giving exactly 9600 / 10000 (the book's numpy figure, README of the data).
/// </summary>
public class SimpleConvNetTests
{
    [Fact]
    public void The_book_network_has_the_books_layers_and_parameter_shapes()
    {
        var net = new SimpleConvNet();

        Assert.Equal(["Convolution", "Relu", "Pooling", "Affine", "Relu", "Affine"], net.Layers.Select(l => l.GetType().Name));
        var conv = Assert.IsType<Convolution>(net.Layers[0]);
        Assert.Equal((1, 0), (conv.Stride, conv.Pad));
        var pool = Assert.IsType<Pooling>(net.Layers[2]);
        Assert.Equal((2, 2, 2, 0), (pool.PoolH, pool.PoolW, pool.Stride, pool.Pad));
        // 28 - 5 + 1 = 24, pooled to 12: 30 x 12 x 12 = 4320 inputs of the first affine layer, as params.pkl's W2.
        Assert.Equal(
            ["W1 (30, 1, 5, 5)", "b1 (30,)", "W2 (4320, 100)", "b2 (100,)", "W3 (100, 10)", "b3 (10,)"],
            net.Parameters.Select(p => $"{p.Name} {p.Value.ShapeString}"));
        Assert.Equal([true, false, true, false, true, false], net.Parameters.Select(p => p.WeightDecay));
        Assert.Equal([1, 28, 28], net.InputShape);
        Assert.Equal(10, net.Classes);
        Assert.Equal([3, 10], net.Forward(Tensor.Zeros(3, 1, 28, 28), train: false).Shape.ToArray());
    }

    [Fact]
    public void Other_settings_change_the_shapes_as_the_books_formula_says()
    {
        // (10 + 2·2 − 3) / 1 + 1 = 12 → pooled 6 ; (7 + 4 − 3) + 1 = 9 → pooled 4 (floor): 4 x 6 x 4 = 96.
        var net = new SimpleConvNet(inputShape: [2, 10, 7], filters: 4, filterSize: 3, pad: 2, stride: 1, hidden: 6, classes: 3);

        Assert.Equal(
            ["W1 (4, 2, 3, 3)", "b1 (4,)", "W2 (96, 6)", "b2 (6,)", "W3 (6, 3)", "b3 (3,)"],
            net.Parameters.Select(p => $"{p.Name} {p.Value.ShapeString}"));
    }

    [Fact]
    public void The_weights_are_drawn_with_the_books_std_and_the_biases_start_at_zero()
    {
        var net = new SimpleConvNet(seed: 4);

        // 432,000 values of W2 within 1 % of 0.01; 750 of W1 and 1,000 of W3 within 10 % (sampling error ~3-5 %).
        Assert.InRange(ConvNetChecks.Std(Param(net, "W2")), 0.0099, 0.0101);
        Assert.InRange(ConvNetChecks.Std(Param(net, "W1")), 0.009, 0.011);
        Assert.InRange(ConvNetChecks.Std(Param(net, "W3")), 0.009, 0.011);
        Assert.All(net.Parameters.Where(p => p.Name.StartsWith('b')), p => Assert.All(p.Value.ToArray(), v => Assert.Equal(0f, v)));
        Assert.Equal(Param(net, "W1").ToArray(), Param(new SimpleConvNet(seed: 4), "W1").ToArray());
        Assert.NotEqual(Param(net, "W1").ToArray(), Param(new SimpleConvNet(seed: 5), "W1").ToArray());
    }

    [Fact]
    public void Backprop_matches_the_numerical_gradient_on_a_small_network()
    {
        // Std 0.3 rather than 0.01 keeps the ReLU inputs away from the kink by more than h (see NetworkGradientTests).
        var net = new SimpleConvNet(inputShape: [2, 7, 6], filters: 3, filterSize: 3, pad: 1, stride: 1, hidden: 5, classes: 4, init: "0.3", weightDecay: 0.1, seed: 2);
        var x = GradientCheck.Random([3, 2, 7, 6], new Random(5), 1);
        var t = Tensor.FromValues(1, 3, 0);

        ConvNetChecks.AssertGradientsMatch(net, x, t, h: 3e-3, samples: 40, seed: 7);
    }

    [Fact]
    public void The_books_params_pkl_classifies_exactly_9600_of_the_10000_test_images()
    {
        var (x, labels) = ConvNetChecks.MnistTest;
        var net = ConvNetChecks.WithBookWeights(new SimpleConvNet(), "params.pkl");

        // The network's own Accuracy (the book's); eval's streaming Evaluate is run by BookPickleCliTests.
        Assert.Equal(0.96, net.Accuracy(x, ConvNetChecks.LabelTensor(labels), batchSize: 500));
    }

    [Fact]
    public void NetworkFactory_rebuilds_it_from_its_architecture_with_the_same_weights()
    {
        var net = new SimpleConvNet(inputShape: [1, 12, 12], filters: 5, filterSize: 3, pad: 1, stride: 2, hidden: 7, classes: 4, init: "he", weightDecay: 0.25, seed: 3);
        var rebuilt = (SimpleConvNet)NetworkFactory.Create(net.Architecture, seed: 3);

        Assert.Equal("1x12x12", net.Architecture["input"]);
        Assert.Equal(0.25, rebuilt.WeightDecayLambda);
        Assert.Equal(net.Parameters.Select(p => p.Value.ShapeString), rebuilt.Parameters.Select(p => p.Value.ShapeString));
        Assert.Equal(Param(net, "W2").ToArray(), Param(rebuilt, "W2").ToArray());
        Assert.Equal(((Convolution)net.Layers[0]).Stride, ((Convolution)rebuilt.Layers[0]).Stride);
        // Only the model name: the book's defaults.
        var book = NetworkFactory.Create(new Dictionary<string, string> { ["model"] = NetworkFactory.SimpleCnn });
        Assert.Equal(new SimpleConvNet().Architecture, book.Architecture);
    }

    [Fact]
    public void A_saved_network_reloads_with_the_same_outputs()
    {
        using var folder = new Data.TempFolder();
        var net = new SimpleConvNet(inputShape: [1, 9, 9], filters: 2, filterSize: 3, hidden: 5, classes: 3, init: "0.2", seed: 8);
        string path = Path.Combine(folder.Path, "net.safetensors");
        ModelFile.Save(path, net);

        var loaded = Assert.IsType<SimpleConvNet>(ModelFile.Load(path));
        var x = GradientCheck.Random([2, 1, 9, 9], new Random(1), 1);
        Assert.Equal(net.Forward(x, train: false).ToArray(), loaded.Forward(x, train: false).ToArray());
    }

    private static Tensor Param(LayeredNetwork net, string name) => net.Parameters.Single(p => p.Name == name).Value;
}
