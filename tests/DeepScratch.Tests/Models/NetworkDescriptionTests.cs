using DeepScratch.Tests.Data;
using DeepScratch.Models;
using DeepScratch.Serialization;
using DeepScratch.Tests.Layers;

namespace DeepScratch.Tests.Models;

/// <summary>
/// Model files describe the layer sequence (item 5): every network writes it, any network reloads from it alone,
/// files of the flat key format (deepscratch/1 without "layers") keep loading, and a description is checked against
/// the tensors before anything is built.
/// </summary>
public sealed class NetworkDescriptionTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string, string> Networks() => new()
    {
        { "two-layer", "input=6; affine 4; relu; affine 3" },
        { "multi-layer", "input=6; affine 5; sigmoid; affine 4; sigmoid; affine 3" },
        { "multi-layer-extend", "input=6; affine 5; batchnorm; relu; dropout 0.25; affine 3" },
        { "simple-cnn", "input=1x9x9; conv 2 3x3 stride 1 pad 1; relu; pool 2x2 stride 2; affine 5; relu; affine 3" },
        { "deep-cnn", "input=1x8x8; conv 16 3x3 stride 1 pad 1; relu; conv 16 3x3 stride 1 pad 1; relu; pool 2x2 stride 2; conv 32 3x3 stride 1 pad 1; relu; conv 32 3x3 stride 1 pad 2; relu; pool 2x2 stride 2; conv 64 3x3 stride 1 pad 1; relu; conv 64 3x3 stride 1 pad 1; relu; pool 2x2 stride 2; affine 50; relu; dropout 0.5; affine 3; dropout 0.5" },
    };

    private static LayeredNetwork Build(string model) => model switch
    {
        "two-layer" => new TwoLayerNet(6, 4, 3, 0.3, seed: 1),
        "multi-layer" => new MultiLayerNet(6, [5, 4], 3, "sigmoid", seed: 1),
        "multi-layer-extend" => new MultiLayerNetExtend(6, [5], 3, useDropout: true, dropoutRatio: 0.25, useBatchnorm: true, seed: 1),
        "simple-cnn" => new SimpleConvNet([1, 9, 9], filters: 2, filterSize: 3, pad: 1, hidden: 5, classes: 3, init: "0.3", seed: 1),
        _ => new DeepConvNet([1, 8, 8], classes: 3, seed: 1),
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void Every_network_writes_its_layers_and_a_file_with_only_the_layers_reloads_with_the_same_outputs(string model, string text)
    {
        var net = Build(model);
        Assert.Equal(text, NetworkDescription.Of(net).Text);

        string path = _temp.File(model + ".safetensors");
        ModelFile.Save(path, net);
        Assert.Equal(text, SafeTensors.Load(path).Metadata[NetworkDescription.MetadataKey]);

        // Only the layers (no "model" or flat keys): the generic network rebuilds it from the text alone.
        string bare = _temp.File(model + "-bare.safetensors");
        var tensors = net.Parameters.Select(p => KeyValuePair.Create(p.Name, p.Value)).Concat(net.Buffers);
        SafeTensors.Save(bare, tensors, new Dictionary<string, string> { [NetworkDescription.MetadataKey] = text, [ModelFile.FormatKey] = ModelFile.FormatValue });
        var x = GradientCheck.Random([2, .. net.InputShape], new Random(4), 1);
        var expected = net.Forward(x, train: false).ToArray();
        Assert.Equal(expected, ((LayeredNetwork)ModelFile.Load(path)).Forward(x, train: false).ToArray());
        var generic = Assert.IsType<SequentialNetwork>(ModelFile.Load(bare));
        Assert.Equal(expected, generic.Forward(x, train: false).ToArray());
    }

    [Fact]
    public void A_file_written_the_old_way_with_flat_keys_only_keeps_loading()
    {
        var net = new MultiLayerNetExtend(6, [5], 3, useBatchnorm: true, seed: 2);
        string path = _temp.File("old.safetensors");
        // The deepscratch/1 metadata of the version before layer descriptions, built by hand.
        var metadata = new Dictionary<string, string>
        {
            ["model"] = "multi-layer-extend", ["input"] = "6", ["hidden"] = "5", ["output"] = "3", ["activation"] = "relu",
            ["init"] = "he", ["weight_decay"] = "0", ["batchnorm"] = "true", ["dropout"] = "none", ["format"] = "deepscratch/1",
        };
        SafeTensors.Save(path, net.Parameters.Select(p => KeyValuePair.Create(p.Name, p.Value)).Concat(net.Buffers), metadata);

        var loaded = Assert.IsType<MultiLayerNetExtend>(ModelFile.Load(path));
        var x = GradientCheck.Random([3, 6], new Random(1), 1);
        Assert.Equal(net.Forward(x, train: false).ToArray(), loaded.Forward(x, train: false).ToArray());
    }

    [Fact]
    public void A_conv_description_names_the_conv_and_pool_settings_and_derives_the_books_parameter_names()
    {
        var d = NetworkDescription.Parse("input=3x10x7; conv 4 3x3 stride 1 pad 2; relu; pool 2x2 stride 2; affine 6; batchnorm; relu; affine 2");

        // (10 + 4 − 3) + 1 = 12 → 6; (7 + 4 − 3) + 1 = 9 → 4: 4 x 6 x 4 = 96 inputs of affine 6.
        Assert.Equal(
            ["W1 (4, 3, 3, 3)", "b1 (4,)", "W2 (96, 6)", "b2 (6,)", "gamma2 (6,)", "beta2 (6,)", "running_mean2 (6,)", "running_var2 (6,)", "W3 (6, 2)", "b3 (2,)"],
            d.ParameterShapes().Select(p => $"{p.Key} {Tensor.FormatShape(p.Value)}"));
        Assert.Equal(["W1", "b1", "W2", "b2", "gamma2", "beta2", "W3", "b3"], d.Build(seed: 1).Parameters.Select(p => p.Name));
    }

    [Theory]
    [InlineData("affine 10", "The network description part \"affine 10\" is not valid: it must start with input=CxHxW (or input=N) and name at least one layer, e.g. \"input=784; affine 10\".")]
    [InlineData("input=1x28x28; conv 30 5 stride 1", "The network description part \"conv 30 5 stride 1\" is not valid: the window must be HxW, e.g. 5x5.")]
    [InlineData("input=784; affine 10; softmax", "The network description part \"softmax\" is not valid: a layer is conv FN FHxFW stride S pad P, pool HxW stride S, affine M, relu, sigmoid, batchnorm or dropout R.")]
    [InlineData("input=784; dropout 1; affine 10", "The network description part \"dropout 1\" is not valid: the dropout ratio must be a number in [0, 1).")]
    [InlineData("input=784; conv 3 3x3 stride 1 pad 0; affine 10", "The network description \"input=784; conv 3 3x3 stride 1 pad 0; affine 10\" does not form a network: \"conv 3 3x3 stride 1 pad 0\" needs images (C, H, W) but receives (784).")]
    [InlineData("input=1x4x4; conv 2 5x5 stride 1 pad 0; affine 2", "The network description \"input=1x4x4; conv 2 5x5 stride 1 pad 0; affine 2\" does not form a network: A window of 5 does not fit in an input of 4 padded by 0 on each side (4).")]
    [InlineData("input=1x28x28; conv 30 5x5 7; affine 10", "The network description part \"conv 30 5x5 7\" is not valid: \"7\" is not part of a conv layer (after the sizes come stride S and pad P, once each).")]
    [InlineData("input=1x28x28; pool 2x2 stride 2 stride 1; affine 10", "The network description part \"pool 2x2 stride 2 stride 1\" is not valid: \"stride\" is not part of a pool layer (after the sizes come stride S and pad P, once each).")]
    [InlineData("input=784; affine 10; relu", null)]
    public void A_bad_description_gets_one_readable_line(string text, string? message)
    {
        if (message is null)
        {
            Assert.Equal("input=784; affine 10; relu", NetworkDescription.Parse(text).Text);
            return;
        }

        var e = Assert.Throws<ArgumentException>(() => NetworkDescription.Parse(text));
        Assert.Equal(message + " (Parameter 'text')", e.Message);
    }

    [Fact]
    public void A_tiny_file_whose_layers_describe_a_huge_network_is_refused_before_anything_is_built()
    {
        string path = _temp.File("huge.safetensors");
        var tensors = new Dictionary<string, Tensor> { ["W1"] = Tensor.Zeros(2, 2), ["b1"] = Tensor.Zeros(2) };
        SafeTensors.Save(path, tensors, new Dictionary<string, string> { [NetworkDescription.MetadataKey] = "input=46000; affine 46000; relu; affine 10" });

        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 50_000_000, "the loader allocated for the described network");
        Assert.Contains("needs W2, b2, which the file lacks", e.Message);
    }

    [Fact]
    public void Flat_keys_that_disagree_with_the_layers_are_refused_before_the_named_network_is_built()
    {
        string path = _temp.File("mixed.safetensors");
        var tensors = new Dictionary<string, Tensor> { ["W1"] = Tensor.Zeros(2, 2), ["b1"] = Tensor.Zeros(2), ["W2"] = Tensor.Zeros(2, 2), ["b2"] = Tensor.Zeros(2) };
        SafeTensors.Save(path, tensors, new Dictionary<string, string>
        {
            [NetworkDescription.MetadataKey] = "input=2; affine 2; relu; affine 2",
            ["model"] = "two-layer", ["input"] = "46000", ["hidden"] = "46000", ["output"] = "2",
        });

        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 50_000_000, "the loader built the network the flat keys describe");
        Assert.Equal($"{path}: its metadata is inconsistent: the two-layer settings do not give the layers \"input=2; affine 2; relu; affine 2\" the file describes.", e.Message);
    }
}
