using DeepScratch.Models;
using DeepScratch.Serialization;
using DeepScratch.Tests.Data;
using static DeepScratch.Tests.Models.WeightFiles;

namespace DeepScratch.Tests.Models;

/// <summary>
/// Damaged and misshapen weights through every load path of the library (pickle, safetensors with each kind of model,
/// convert, the constructors, LoadParameters): refused with the array at fault named, or accepted when numpy would run
/// them the same way. The files are the real sample_weight.pkl, edited.
/// </summary>
public sealed class WeightFaultTests : IDisposable
{
    private const string ThreeLayerMetadataValue = "three-layer";
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>W1 (784 x 50) holds 39,200 values; W1[300, 0] is pixel 300 (ink in some images), W1[0, *] pixel 0 (blank in all).</summary>
    public static TheoryData<string, int[], float[], string> NonFiniteCases() => new()
    {
        { "NaN at W1[300,0]", [300 * 50], [float.NaN], "W1 holds 1 NaN and 0 infinite values (of 39200)" },
        { "NaN at W1[0,0]", [0], [float.NaN], "W1 holds 1 NaN and 0 infinite values (of 39200)" },
        { "+Inf at W1[0,0]", [0], [float.PositiveInfinity], "W1 holds 0 NaN and 1 infinite value (of 39200)" },
        { "NaN and +Inf at W1[0,0..1]", [0, 1], [float.NaN, float.PositiveInfinity], "W1 holds 1 NaN and 1 infinite value (of 39200)" },
        { "100 NaN (a text-mode copy)", Enumerable.Range(0, 100).Select(i => i * 391).ToArray(), Enumerable.Repeat(float.NaN, 100).ToArray(), "W1 holds 100 NaN and 0 infinite values (of 39200)" },
    };

    private static Dictionary<string, WeightFiles.Array> Damaged(int[] at, float[] values)
    {
        var arrays = Sample();
        for (int i = 0; i < at.Length; i++)
        {
            arrays["W1"].Values[at[i]] = values[i];
        }

        return arrays;
    }

    [Theory]
    [MemberData(nameof(NonFiniteCases))]
    public void A_pickle_with_non_finite_weights_is_refused_by_every_load_path(string what, int[] at, float[] values, string expected)
    {
        string path = WritePickle(_temp.Path, "sample_weight.pkl", Damaged(at, values));
        string message = $"{path}: {expected}: the file is damaged (a text-mode copy or a float16 cast?); get a fresh copy.";

        Assert.Equal(message, Assert.Throws<InvalidDataException>(() => ThreeLayerNet.Load(path)).Message);
        Assert.Equal(message, Assert.Throws<InvalidDataException>(() => ModelFile.Load(path)).Message);
        string output = _temp.File("out.safetensors");
        Assert.Equal(message, Assert.Throws<InvalidDataException>(() => ModelFile.Convert(path, output)).Message);
        Assert.False(File.Exists(output), what);
    }

    [Theory]
    [MemberData(nameof(NonFiniteCases))]
    public void A_safetensors_model_with_non_finite_weights_is_refused(string what, int[] at, float[] values, string expected)
    {
        string path = WriteSafeTensors(_temp.Path, "model.safetensors", Damaged(at, values), new Dictionary<string, string> { ["model"] = ThreeLayerMetadataValue });
        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path));
        Assert.Equal($"{path}: {expected}: the file is damaged (a text-mode copy or a float16 cast?); get a fresh copy.", e.Message);

        // Without DeepScratch's metadata (as Python would write it), the book's W1..b3 load as the chapter 3 net: same rule.
        path = WriteSafeTensors(_temp.Path, "plain.safetensors", Damaged(at, values), metadata: null);
        e = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path));
        Assert.Contains(expected, e.Message);
        Assert.True(e.Message.StartsWith(path, StringComparison.Ordinal), what);
    }

    [Fact]
    public void The_constructor_refuses_non_finite_tensors_passed_in_code()
    {
        var a = Damaged([300 * 50], [float.NaN]);
        Tensor T(string name) => new(a[name].Values, a[name].Shape);
        var e = Assert.Throws<ArgumentException>(() => new ThreeLayerNet(T("W1"), T("b1"), T("W2"), T("b2"), T("W3"), T("b3")));
        Assert.StartsWith("W1 holds 1 NaN and 0 infinite values (of 39200): a network's parameters must be finite", e.Message);

        a = Sample();
        a["b3"].Values[9] = float.NegativeInfinity;
        e = Assert.Throws<ArgumentException>(() => new ThreeLayerNet(T("W1"), T("b1"), T("W2"), T("b2"), T("W3"), T("b3")));
        Assert.StartsWith("b3 holds 0 NaN and 1 infinite value (of 10)", e.Message);
    }

    [Theory]
    [InlineData("two-layer")]
    [InlineData("multi-layer")]
    [InlineData("multi-layer-extend")]
    public void LoadParameters_and_safetensors_models_of_every_kind_refuse_non_finite_tensors(string model)
    {
        var network = NetworkFactory.Create(Architecture(model, 4, [3], 2), seed: 1);
        var tensors = network.Parameters.ToDictionary(p => p.Name, p => p.Value.Clone());
        foreach (var (name, buffer) in network.Buffers)
        {
            tensors[name] = buffer.Clone();
        }

        var before = network.Parameters.Select(p => p.Value.ToArray()).ToArray();
        tensors["W2"].Span[1] = float.NaN;
        var e = Assert.Throws<ArgumentException>(() => network.LoadParameters(tensors));
        Assert.StartsWith("W2 holds 1 NaN and 0 infinite values (of 6)", e.Message);
        Assert.Equal(before, network.Parameters.Select(p => p.Value.ToArray()).ToArray());

        string path = _temp.File($"{model}.safetensors");
        SafeTensors.Save(path, tensors, network.Architecture);
        var fileError = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path));
        Assert.Equal($"{path}: W2 holds 1 NaN and 0 infinite values (of 6): the file is damaged (a text-mode copy or a float16 cast?); get a fresh copy.", fileError.Message);
    }

    [Fact]
    public void A_negative_BatchNorm_running_variance_is_refused_like_a_non_finite_value()
    {
        var architecture = Architecture("multi-layer-extend", 4, [3], 2);
        architecture["batchnorm"] = "true";
        var network = NetworkFactory.Create(architecture, seed: 2);
        var tensors = network.Parameters.ToDictionary(p => p.Name, p => p.Value.Clone());
        foreach (var (name, buffer) in network.Buffers)
        {
            tensors[name] = buffer.Clone();
        }

        tensors["running_var1"].Span.Fill(0.5f);
        tensors["running_var1"].Span[2] = -0.25f;
        string path = _temp.File("bn.safetensors");
        SafeTensors.Save(path, tensors, network.Architecture);
        Assert.Equal(
            $"{path}: running_var1 holds 1 negative value (of 3): a variance cannot be negative (its square root would be NaN).",
            Assert.Throws<InvalidDataException>(() => ModelFile.Load(path)).Message);

        tensors["running_var1"].Span[2] = 0f;
        SafeTensors.Save(path, tensors, network.Architecture);
        Assert.IsType<MultiLayerNetExtend>(ModelFile.Load(path));
    }

    [Fact]
    public void W1_stored_transposed_is_blamed_not_b1()
    {
        var arrays = Sample();
        arrays["W1"] = arrays["W1"].Transposed();
        string path = WritePickle(_temp.Path, "torch.pkl", arrays);
        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path));
        Assert.Equal(
            $"{path}: W1 has shape (50, 784) but b1 (50,) and W2 (50, 100) say its layer has 50 units: stored transposed? It must be (784, 50) (PyTorch's nn.Linear stores (outputs, inputs)).",
            e.Message);

        // With the input size known (784 pixels), the same verdict comes from the input's side.
        e = Assert.Throws<InvalidDataException>(() => ThreeLayerNet.FromWeights(NumpyPickle.LoadTensors(path), path, inputSize: 784));
        Assert.Equal(
            $"{path}: W1 has shape (50, 784) but the input has 784 values: stored transposed? It must be (784, 50) (PyTorch's nn.Linear stores (outputs, inputs)).",
            e.Message);
    }

    [Theory]
    [InlineData("W2", "W2 has shape (100, 50) but the previous layer (W1) gives 50 values: stored transposed? It must be (50, 100)")]
    [InlineData("W3", "W3 has shape (10, 100) but the previous layer (W2) gives 100 values: stored transposed? It must be (100, 10)")]
    public void A_later_weight_stored_transposed_is_blamed(string name, string expected)
    {
        var arrays = Sample();
        arrays[name] = arrays[name].Transposed();
        string path = WritePickle(_temp.Path, "t.pkl", arrays);
        Assert.StartsWith($"{path}: {expected}", Assert.Throws<InvalidDataException>(() => ThreeLayerNet.Load(path)).Message);
    }

    [Fact]
    public void A_bias_that_fits_nothing_is_blamed()
    {
        var arrays = Sample();
        arrays["b2"] = new WeightFiles.Array([99], new float[99]);
        string path = WritePickle(_temp.Path, "b.pkl", arrays);
        Assert.Equal($"{path}: b2 must have shape (100,) to match W2 (50, 100); it has (99,).", Assert.Throws<InvalidDataException>(() => ThreeLayerNet.Load(path)).Message);
    }

    [Fact]
    public void Row_vector_biases_run_as_numpy_broadcasts_them()
    {
        var arrays = Sample();
        var original = ThreeLayerNet.Load(TestData.Weights("sample_weight.pkl"));
        foreach (string b in new[] { "b1", "b2", "b3" })
        {
            arrays[b] = arrays[b].Reshaped(1, arrays[b].Values.Length);
        }

        var net = ThreeLayerNet.Load(WritePickle(_temp.Path, "rows.pkl", arrays));
        Assert.Equal("(50,)", net.B1.ShapeString);
        var x = new Tensor(Enumerable.Range(0, 3 * 784).Select(i => (i * 37 % 256) / 255f).ToArray(), 3, 784);
        Assert.Equal(original.Predict(x).ToArray(), net.Predict(x).ToArray());

        // And in a safetensors file of a trained kind: LoadParameters accepts (1, n) for (n,).
        var two = new TwoLayerNet(4, 3, 2, seed: 5);
        var tensors = two.Parameters.ToDictionary(p => p.Name, p => p.Value.Clone());
        tensors["b1"] = tensors["b1"].Reshape(1, 3);
        var copy = new TwoLayerNet(4, 3, 2, seed: 6);
        copy.LoadParameters(tensors);
        Assert.Equal(two.Parameters.Select(p => p.Value.ToArray()), copy.Parameters.Select(p => p.Value.ToArray()));
    }

    [Fact]
    public void LoadParameters_says_stored_transposed_when_the_reversed_shape_fits()
    {
        var two = new TwoLayerNet(4, 3, 2);
        var tensors = two.Parameters.ToDictionary(p => p.Name, p => p.Value.Clone());
        tensors["W1"] = Tensor.Zeros(3, 4);
        var e = Assert.Throws<ArgumentException>(() => two.LoadParameters(tensors));
        Assert.Contains("W1 has shape (3, 4) but the network needs (4, 3) (stored transposed?)", e.Message);
    }

    public static TheoryData<string, string, string> DegenerateCases() => new()
    {
        // name, which array is emptied, expected message tail
        { "hidden layer of 0 units", "W1", "W1 has shape (784, 0): 0 units in its layer: every layer needs at least one." },
        { "0 output classes", "W3", "W3 has shape (100, 0): 0 output classes: a classifier needs at least one class." },
    };

    [Theory]
    [MemberData(nameof(DegenerateCases))]
    public void A_pickle_network_with_an_empty_layer_is_refused(string what, string emptied, string expected)
    {
        var arrays = Sample();
        if (emptied == "W1")
        {
            arrays["W1"] = new WeightFiles.Array([784, 0], []);
            arrays["b1"] = new WeightFiles.Array([0], []);
            arrays["W2"] = new WeightFiles.Array([0, 100], []);
        }
        else
        {
            arrays["W3"] = new WeightFiles.Array([100, 0], []);
            arrays["b3"] = new WeightFiles.Array([0], []);
        }

        string path = WritePickle(_temp.Path, "empty.pkl", arrays);
        Assert.Equal($"{path}: {expected}", Assert.Throws<InvalidDataException>(() => ModelFile.Load(path)).Message);
        Assert.Throws<InvalidDataException>(() => ModelFile.Convert(path, _temp.File("empty.safetensors")));
        Assert.False(File.Exists(_temp.File("empty.safetensors")), what);

        // The same arrays as a safetensors "three-layer" model.
        path = WriteSafeTensors(_temp.Path, "empty3.safetensors", arrays, new Dictionary<string, string> { ["model"] = ThreeLayerMetadataValue });
        Assert.Equal($"{path}: {expected}", Assert.Throws<InvalidDataException>(() => ModelFile.Load(path)).Message);
    }

    [Theory]
    [InlineData("two-layer")]
    [InlineData("multi-layer")]
    [InlineData("multi-layer-extend")]
    public void Safetensors_models_of_every_kind_with_an_empty_layer_are_refused(string model)
    {
        var random = new Random(3);
        var hidden0 = new Dictionary<string, WeightFiles.Array>
        {
            ["W1"] = new([4, 0], []), ["b1"] = new([0], []), ["W2"] = new([0, 2], []), ["b2"] = Random(random, 2),
        };
        string path = WriteSafeTensors(_temp.Path, "h0.safetensors", hidden0, Architecture(model, 4, [3], 2));
        Assert.Equal($"{path}: W1 has shape (4, 0): 0 units in its layer: every layer needs at least one.",
            Assert.Throws<InvalidDataException>(() => ModelFile.Load(path)).Message);

        var classes0 = new Dictionary<string, WeightFiles.Array>
        {
            ["W1"] = Random(random, 4, 3), ["b1"] = Random(random, 3), ["W2"] = new([3, 0], []), ["b2"] = new([0], []),
        };
        path = WriteSafeTensors(_temp.Path, "c0.safetensors", classes0, Architecture(model, 4, [3], 2));
        Assert.Equal($"{path}: W2 has shape (3, 0): 0 output classes: a classifier needs at least one class.",
            Assert.Throws<InvalidDataException>(() => ModelFile.Load(path)).Message);

        // Metadata that itself says 0 is refused before anything is built.
        path = WriteSafeTensors(_temp.Path, "m0.safetensors", classes0, Architecture(model, 4, [3], 0));
        Assert.Contains("\"output\" is \"0\"; it must be a positive whole number",
            Assert.Throws<InvalidDataException>(() => ModelFile.Load(path)).Message);
    }

    [Theory]
    [InlineData("two-layer")]
    [InlineData("multi-layer")]
    [InlineData("multi-layer-extend")]
    public void Metadata_describing_a_huge_network_over_tiny_tensors_is_refused_before_anything_is_built(string model)
    {
        var random = new Random(4);
        var tiny = new Dictionary<string, WeightFiles.Array>
        {
            ["W1"] = Random(random, 2, 2), ["b1"] = Random(random, 2), ["W2"] = Random(random, 2, 2), ["b2"] = Random(random, 2),
        };
        string path = WriteSafeTensors(_temp.Path, "huge.safetensors", tiny, Architecture(model, 46000, [46000], 10));
        Assert.True(new FileInfo(path).Length < 1024);

        InvalidDataException? error = null;
        long allocated = Allocations.OnThisThread(() => error = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path)));
        Assert.Equal($"{path}: its metadata describes a 46000-46000-10 network but its tensors form 2-2-2: the file is inconsistent and cannot be used.", error!.Message);
        Assert.True(allocated < 4_000_000, $"{allocated} bytes allocated to refuse a {new FileInfo(path).Length}-byte file");

        // No tensors at all: the missing names are listed, nothing is built.
        path = WriteSafeTensors(_temp.Path, "empty.safetensors", new Dictionary<string, WeightFiles.Array> { ["x"] = Random(random, 1) }, Architecture(model, 46000, [46000], 10));
        allocated = Allocations.OnThisThread(() => error = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path)));
        Assert.Equal($"{path}: its metadata describes a 46000-46000-10 network but the file lacks W1, b1, W2, b2 (it has x).", error!.Message);
        Assert.True(allocated < 4_000_000, $"{allocated} bytes allocated to refuse a {new FileInfo(path).Length}-byte file");
    }

    [Fact]
    public void Convert_refuses_a_transposed_chapter_3_network_instead_of_dropping_its_marking()
    {
        var arrays = Sample();
        arrays["W1"] = arrays["W1"].Transposed();
        string path = WritePickle(_temp.Path, "torch.pkl", arrays);
        string output = _temp.File("torch.safetensors");
        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Convert(path, output));
        Assert.Contains("W1 has shape (50, 784)", e.Message);
        Assert.Contains("stored transposed?", e.Message);
        Assert.False(File.Exists(output));
    }

    [Theory]
    [InlineData("params.pkl", 6, "simple-cnn", "6 float64 arrays are stored as float32 (W1, b1, W2, b2, W3, b3)")]
    [InlineData("deep_convnet_params.pkl", 16, "deep-cnn", "16 float64 arrays are stored as float32 (W1, b1, W2, b2, W3, b3, W4, b4, W5, b5, W6, b6, W7, b7, W8, b8)")]
    public void Convert_of_the_books_convnet_pickles_records_the_network_and_notes_that_float64_becomes_float32(string file, int count, string model, string narrowing)
    {
        string output = _temp.File(file + ".safetensors");
        var result = ModelFile.Convert(TestData.Weights(file), output);
        Assert.Equal(count, result.Arrays);
        Assert.Equal([$"{narrowing}, the type DeepScratch computes in."], result.Notes);

        var metadata = DeepScratch.Serialization.SafeTensors.Load(output).Metadata;
        Assert.Equal(model, metadata["model"]);
        Assert.Equal(file, metadata["source"]);
        var loaded = ModelFile.Load(output);
        Assert.Equal(model == "simple-cnn" ? typeof(SimpleConvNet) : typeof(DeepConvNet), loaded.GetType());
        // The float32 tensors are the pickle's float64 values rounded once, exactly as the pickle loads them.
        var original = DeepScratch.Serialization.NumpyPickle.LoadTensors(TestData.Weights(file));
        foreach (var p in ((LayeredNetwork)loaded).Parameters)
        {
            Assert.Equal(original[p.Name].ToArray(), p.Value.ToArray());
        }
    }

    [Fact]
    public void Convert_of_sample_weight_has_nothing_to_note_and_reloads_as_the_chapter_3_network()
    {
        string output = _temp.File("sample.safetensors");
        var result = ModelFile.Convert(TestData.Weights("sample_weight.pkl"), output);
        Assert.Equal(6, result.Arrays);
        Assert.Empty(result.Notes);
        Assert.IsType<ThreeLayerNet>(ModelFile.Load(output));
    }

    private static Dictionary<string, string> Architecture(string model, int input, int[] hidden, int output) => model == "two-layer"
        ? new() { ["model"] = model, ["input"] = $"{input}", ["hidden"] = $"{hidden[0]}", ["output"] = $"{output}" }
        : new() { ["model"] = model, ["input"] = $"{input}", ["hidden"] = string.Join(",", hidden), ["output"] = $"{output}" };
}
