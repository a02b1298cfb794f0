using DeepScratch.Models;

namespace DeepScratch.Tests.Models;

/// <summary>
/// NetworkFactory as the one builder of networks from an architecture (the CLI's train and model files both use
/// it), its recipe defaults, and each network's one-line Description.
/// </summary>
public class NetworkFactoryTests
{
    private static Dictionary<string, string> Architecture(params (string Key, string Value)[] entries) =>
        entries.ToDictionary(e => e.Key, e => e.Value);

    [Fact]
    public void The_recipe_defaults_are_the_book_runs()
    {
        Assert.Equal("0.01", NetworkFactory.DefaultInit(NetworkFactory.TwoLayer));
        Assert.Equal("he", NetworkFactory.DefaultInit(NetworkFactory.MultiLayer));
        Assert.Equal("he", NetworkFactory.DefaultInit(NetworkFactory.MultiLayerExtend));
        Assert.Equal("50", NetworkFactory.DefaultHidden(NetworkFactory.TwoLayer));
        Assert.Equal("100,100,100", NetworkFactory.DefaultHidden(NetworkFactory.MultiLayer));
        Assert.Equal("relu", NetworkFactory.DefaultActivation);
        Assert.Throws<ArgumentException>(() => NetworkFactory.DefaultInit("cnn"));
        Assert.Throws<ArgumentException>(() => NetworkFactory.DefaultHidden("cnn"));
    }

    [Fact]
    public void A_two_layer_net_without_init_gets_the_default_std()
    {
        // W1 of 784 x 50 drawn with std 0.01: the sample deviation of 39,200 normals lies within 2 % of it.
        var net = NetworkFactory.Create(Architecture(("model", "two-layer"), ("input", "784"), ("hidden", "50"), ("output", "10")), seed: 3);
        var w = net.Parameters.Single(p => p.Name == "W1").Value.ToArray();
        double mean = w.Average(v => (double)v);
        double std = Math.Sqrt(w.Sum(v => (v - mean) * (v - mean)) / w.Length);
        Assert.InRange(std, 0.0098, 0.0102);
        Assert.Equal("0.01", net.Architecture["init"]);
    }

    [Theory]
    [InlineData("he")]
    [InlineData("relu")]
    [InlineData("xavier")]
    public void A_two_layer_net_takes_a_standard_deviation_not_a_scheme(string init)
    {
        var e = Assert.Throws<ArgumentException>(() => NetworkFactory.Create(
            Architecture(("model", "two-layer"), ("input", "4"), ("hidden", "3"), ("output", "2"), ("init", init))));
        Assert.Contains($"The architecture's \"init\" is \"{init}\"; it must be a standard deviation (the book's weight_init_std), not a scheme.", e.Message);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("gauss")]
    public void A_two_layer_net_refuses_a_bad_init_naming_the_key(string init)
    {
        var e = Assert.Throws<ArgumentException>(() => NetworkFactory.Create(
            Architecture(("model", "two-layer"), ("input", "4"), ("hidden", "3"), ("output", "2"), ("init", init))));
        Assert.Contains($"The architecture's \"init\" is \"{init}\"; it must be a positive standard deviation such as 0.01.", e.Message);
    }

    [Fact]
    public void A_multi_layer_net_accepts_the_book_names_of_the_schemes()
    {
        // "relu" is the book's name for He: the same seed gives the same weights as "he".
        var relu = NetworkFactory.Create(Architecture(("model", "multi-layer"), ("input", "6"), ("hidden", "5"), ("output", "3"), ("init", "relu")), 2);
        var he = new MultiLayerNet(6, [5], 3, weightInit: "he", seed: 2);
        Assert.Equal(he.Parameters.Select(p => p.Value.ToArray()), relu.Parameters.Select(p => p.Value.ToArray()));
    }

    [Fact]
    public void The_factory_builds_the_same_extend_net_as_its_constructor()
    {
        var built = NetworkFactory.Create(Architecture(
            ("model", "multi-layer-extend"), ("input", "12"), ("hidden", "8,6"), ("output", "4"), ("activation", "sigmoid"),
            ("init", "xavier"), ("weight_decay", "0.01"), ("batchnorm", "true"), ("dropout", "0.2")), seed: 7);
        var direct = new MultiLayerNetExtend(12, [8, 6], 4, "sigmoid", "xavier", 0.01, useDropout: true, dropoutRatio: 0.2, useBatchnorm: true, seed: 7);
        Assert.Equal(direct.Parameters.Select(p => p.Name), built.Parameters.Select(p => p.Name));
        Assert.Equal(direct.Parameters.Select(p => p.Value.ToArray()), built.Parameters.Select(p => p.Value.ToArray()));
        Assert.Equal(direct.Architecture.OrderBy(kv => kv.Key), built.Architecture.OrderBy(kv => kv.Key));
    }

    [Fact]
    public void A_dropout_ratio_out_of_range_is_refused_by_the_one_check()
    {
        var e = Assert.Throws<ArgumentException>(() => NetworkFactory.Create(Architecture(
            ("model", "multi-layer-extend"), ("input", "4"), ("hidden", ""), ("output", "2"), ("dropout", "1"))));
        Assert.Contains("must be at least 0 and below 1; got 1", e.Message);
    }

    [Theory]
    [InlineData("100,100,100", new[] { 100, 100, 100 })]
    [InlineData(" 30 , 20 ", new[] { 30, 20 })]
    [InlineData("7", new[] { 7 })]
    [InlineData("", new int[0])]
    public void Hidden_sizes_parse_from_one_list(string text, int[] expected) => Assert.Equal(expected, NetworkFactory.ParseHidden(text));

    [Theory]
    [InlineData("100,x", "x")]
    [InlineData("0", "0")]
    [InlineData("50,,50", "")]
    [InlineData("-3", "-3")]
    public void Hidden_sizes_that_are_not_positive_numbers_are_refused(string text, string bad)
    {
        var e = Assert.Throws<ArgumentException>(() => NetworkFactory.ParseHidden(text));
        Assert.StartsWith($"Hidden layer sizes must be positive whole numbers separated by commas, like 100,100; '{bad}' is not one.", e.Message);
    }

    [Fact]
    public void The_description_names_the_model_the_sizes_and_the_extras()
    {
        Assert.Equal("two-layer 784-50-10", (new TwoLayerNet(784, 50, 10)).Description);
        Assert.Equal("multi-layer 20-10-8-5 (sigmoid)", (new MultiLayerNet(20, [10, 8], 5, "sigmoid")).Description);
        Assert.Equal("multi-layer-extend 12-8-4 (relu, batchnorm, dropout 0.25)",
            (new MultiLayerNetExtend(12, [8], 4, useDropout: true, dropoutRatio: 0.25, useBatchnorm: true)).Description);
        Assert.Equal("multi-layer-extend 12-8-4 (relu)", (new MultiLayerNetExtend(12, [8], 4)).Description);
    }

    [Fact]
    public void The_description_of_the_book_network_comes_from_its_weight_shapes()
    {
        var net = new ThreeLayerNet(Tensor.Zeros(784, 50), Tensor.Zeros(50), Tensor.Zeros(50, 100), Tensor.Zeros(100), Tensor.Zeros(100, 10), Tensor.Zeros(10));
        Assert.Equal("784-50-100-10, sigmoid, sigmoid, softmax", net.Description);
    }
}
