using DeepScratch.Tests.Models;
using static DeepScratch.Tests.Models.WeightFiles;

namespace DeepScratch.Tests.Cli;

/// <summary>
/// Weight files in another layout (PyTorch's transposed matrices, column-vector biases), weights that overflow the
/// outputs, and metadata the library refuses: exit 3 and one plain line (no .NET "(Parameter 'x')", no capital mid-line).
/// </summary>
public sealed class WeightLayoutCliTests : IDisposable
{
    private const string AllTransposed = "every weight matrix looks transposed (PyTorch's nn.Linear layout (outputs, inputs)): transpose them";
    private readonly string _dir = Directory.CreateTempSubdirectory("deepscratch-layout-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void AssertOneLine(CliResult r, int exitCode, string line)
    {
        Assert.True(r.ExitCode == exitCode, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.Equal([$"deepscratch: error: {line}"], r.StderrLines);
        Assert.DoesNotContain("(Parameter", r.Stderr);
    }

    private static Dictionary<string, WeightFiles.Array> Edited(Func<string, WeightFiles.Array, WeightFiles.Array> edit) =>
        Sample().ToDictionary(p => p.Key, p => edit(p.Key, p.Value));

    private CliResult Eval(string path, params string[] extra) => CliRunner.Run(_dir, ["eval", "--data", TestData.Dir, "--weights", path, .. extra]);

    [Fact]
    public void Every_weight_transposed_is_said_once_by_eval_predict_and_convert()
    {
        string path = WritePickle(_dir, "allT.pkl", Edited((n, a) => n.StartsWith('W') ? a.Transposed() : a));
        string line = $"{path}: {AllTransposed} (W1 (50, 784), W2 (100, 50), W3 (10, 100); each must be (inputs, outputs)).";
        AssertOneLine(Eval(path), 3, line);
        AssertOneLine(CliRunner.Run(_dir, "predict", "0", "--data", TestData.Dir, "--weights", path), 3, line);
        string output = Path.Combine(_dir, "allT.safetensors");
        AssertOneLine(CliRunner.Run(_dir, "convert", path, output), 3, line);
        Assert.False(File.Exists(output));
    }

    [Theory]
    [InlineData("W2", "W1", 50, 100)]
    [InlineData("W3", "W2", 100, 10)]
    public void One_transposed_weight_is_blamed_not_its_bias(string name, string previous, int rows, int columns)
    {
        string path = WritePickle(_dir, $"{name}T.pkl", Edited((n, a) => n == name ? a.Transposed() : a));
        AssertOneLine(Eval(path), 3,
            $"{path}: {name} has shape ({columns}, {rows}) but the previous layer ({previous}) gives {rows} values: stored transposed? It must be ({rows}, {columns}) (PyTorch's nn.Linear stores (outputs, inputs)).");
    }

    [Theory]
    [InlineData("b1", "W1", 784, 50)]
    [InlineData("b3", "W3", 100, 10)]
    public void A_column_vector_bias_is_refused(string name, string weight, int inputs, int units)
    {
        string path = WritePickle(_dir, $"{name}col.pkl", Edited((n, a) => n == name ? a.Reshaped(units, 1) : a));
        AssertOneLine(Eval(path), 3,
            $"{path}: {name} has shape ({units}, 1), a column vector: it must be ({units},) or (1, {units}) to add one value per unit of {weight} ({inputs}, {units}) (numpy would broadcast a column wrongly); reshape it.");
    }

    [Fact]
    public void Transposed_safetensors_models_of_each_kind_are_said_once()
    {
        var threeLayer = WriteSafeTensors(_dir, "3lT.safetensors", Edited((n, a) => n.StartsWith('W') ? a.Transposed() : a), new Dictionary<string, string> { ["model"] = "three-layer" });
        AssertOneLine(Eval(threeLayer), 3, $"{threeLayer}: {AllTransposed} (W1 (50, 784), W2 (100, 50), W3 (10, 100); each must be (inputs, outputs)).");

        var random = new Random(5);
        var arrays = new Dictionary<string, WeightFiles.Array>
        {
            ["W1"] = Random(random, 20, 784), ["b1"] = Random(random, 20), ["W2"] = Random(random, 10, 20), ["b2"] = Random(random, 10),
        };
        var multiLayer = WriteSafeTensors(_dir, "mlT.safetensors", arrays, MultiLayer("multi-layer"));
        AssertOneLine(Eval(multiLayer), 3, $"{multiLayer}: {AllTransposed} (W1 (20, 784), W2 (10, 20); each must be (inputs, outputs)).");
    }

    private static Dictionary<string, string> MultiLayer(string model, params (string Key, string Value)[] extra)
    {
        var metadata = new Dictionary<string, string> { ["model"] = model, ["input"] = "784", ["hidden"] = "20", ["output"] = "10", ["format"] = "deepscratch/1" };
        foreach (var (key, value) in extra)
        {
            metadata[key] = value;
        }

        return metadata;
    }

    private string WriteExtend(string name, (string, string)[] metadata, int w2Rows = 20, bool batchnormTensors = false)
    {
        var random = new Random(7);
        var arrays = new Dictionary<string, WeightFiles.Array>
        {
            ["W1"] = Random(random, 784, 20), ["b1"] = Random(random, 20), ["W2"] = Random(random, w2Rows, 10), ["b2"] = Random(random, 10),
        };
        if (batchnormTensors)
        {
            arrays["gamma1"] = Random(random, 20);
            arrays["beta1"] = Random(random, 20);
        }

        return WriteSafeTensors(_dir, name, arrays, MultiLayer("multi-layer-extend", metadata));
    }

    [Fact]
    public void Metadata_the_library_refuses_reads_as_one_plain_sentence()
    {
        const string Cannot = "its metadata does not describe a network DeepScratch can build (the architecture does not describe a valid multi-layer-extend network: ";
        string tanh = WriteExtend("bn_tanh.safetensors", [("activation", "tanh")]);
        AssertOneLine(Eval(tanh), 3, $"{tanh}: {Cannot}unknown activation \"tanh\": use \"relu\" or \"sigmoid\")");

        string dropout = WriteExtend("bn_drop.safetensors", [("dropout", "1.5")]);
        AssertOneLine(Eval(dropout), 3, $"{dropout}: {Cannot}the dropout ratio is the fraction of neurons erased and must be at least 0 and below 1; got 1.5)");

        string maybe = WriteExtend("bn_maybe.safetensors", [("batchnorm", "maybe")]);
        AssertOneLine(Eval(maybe), 3,
            $"{maybe}: its metadata does not describe a network DeepScratch can build (the architecture's \"batchnorm\" is \"maybe\"; it must be \"true\" or \"false\")");

        string shape = WriteExtend("bn_shape.safetensors", [], w2Rows: 21);
        AssertOneLine(Eval(shape), 3, $"{shape}: W2 has shape (21, 10) but the previous layer (W1) gives 20 values: its first dimension must be 20.");
    }

    [Fact]
    public void Tensors_the_metadata_does_not_describe_read_as_one_plain_sentence()
    {
        string extra = WriteExtend("bn_metafalse.safetensors", [("batchnorm", "false")], batchnormTensors: true);
        var r = Eval(extra);
        Assert.Equal(3, r.ExitCode);
        Assert.Single(r.StderrLines);
        Assert.StartsWith($"deepscratch: error: {extra}: the tensors do not fit this network", r.StderrLines[0]);
        Assert.DoesNotContain("(Parameter", r.Stderr);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("100")]
    [InlineData("--per-image")]
    public void Weights_that_overflow_the_outputs_are_refused_by_eval(string batch)
    {
        // W3's first column all 3e38: a3[0] overflows to +∞ for every image, softmax gives NaN (see OutputOverflowTests).
        string path = WritePickle(_dir, "ovf.pkl", Edited((n, a) =>
        {
            if (n == "W3")
            {
                for (int r = 0; r < 100; r++)
                {
                    a.Values[r * 10] = 3e38f;
                }
            }

            return a;
        }));
        const string Line = "the network's outputs are not finite (NaN) for image 0: its weights overflow float32 arithmetic (largest |W3| is 3e+38).";
        AssertOneLine(batch == "--per-image" ? Eval(path, batch) : Eval(path, "--batch-size", batch), 3, Line);
        AssertOneLine(CliRunner.Run(_dir, "predict", "0", "--data", TestData.Dir, "--weights", path), 3, Line);
    }

    [Fact]
    public void Weights_whose_partial_sums_meet_as_plus_and_minus_infinity_are_refused_by_eval()
    {
        // The QA's file: W1's first column ±3e38 alternately; no exit 0 with an accuracy of NaN rows.
        string path = WritePickle(_dir, "ovf1.pkl", Edited((n, a) =>
        {
            if (n == "W1")
            {
                for (int r = 0; r < 784; r++)
                {
                    a.Values[r * 50] = r % 2 == 0 ? 3e38f : -3e38f;
                }
            }

            return a;
        }));
        var r = Eval(path);
        Assert.Equal(3, r.ExitCode);
        Assert.Matches(@"^deepscratch: error: the network's outputs are not finite \(NaN\) for image \d+: its weights overflow float32 arithmetic \(largest \|W1\| is 3e\+38\)\.$", Assert.Single(r.StderrLines));
        Assert.DoesNotContain("Accuracy", r.Stdout);
    }
}
