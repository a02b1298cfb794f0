using DeepScratch.Tests.Models;
using static DeepScratch.Tests.Models.WeightFiles;

namespace DeepScratch.Tests.Cli;

/// <summary>
/// Damaged and misshapen weight files through the commands a learner runs (eval at several batch sizes, predict,
/// convert): exit 3 and one line naming the array at fault, or the book's answer when numpy would run the file alike.
/// </summary>
public sealed class WeightFaultCliTests : IDisposable
{
    private const string Damage = ": the file is damaged (a text-mode copy or a float16 cast?); get a fresh copy.";
    private readonly string _dir = Directory.CreateTempSubdirectory("deepscratch-weights-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Dictionary<string, WeightFiles.Array> WithW1(params (int Index, float Value)[] edits)
    {
        var arrays = Sample();
        foreach (var (index, value) in edits)
        {
            arrays["W1"].Values[index] = value;
        }

        return arrays;
    }

    private static void AssertOneLine(CliResult r, int exitCode, string line)
    {
        Assert.True(r.ExitCode == exitCode, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.Equal([$"deepscratch: error: {line}"], r.StderrLines);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("6")]
    [InlineData("7")]
    [InlineData("100")]
    public void Eval_of_a_pickle_with_NaN_at_W1_300_0_exits_3_at_every_batch_size(string batchSize)
    {
        string path = WritePickle(_dir, "sample_weight.pkl", WithW1((300 * 50, float.NaN)));
        var r = CliRunner.Run(_dir, "eval", "--data", TestData.Dir, "--weights", path, "--batch-size", batchSize);
        AssertOneLine(r, 3, $"{path}: W1 holds 1 NaN and 0 infinite values (of 39200){Damage}");
        Assert.DoesNotContain("Accuracy", r.Stdout);
    }

    [Fact]
    public void Eval_per_image_predict_and_convert_refuse_NaN_and_Inf_at_a_pixel_that_is_always_blank()
    {
        string path = WritePickle(_dir, "blank.pkl", WithW1((0, float.NaN), (1, float.PositiveInfinity)));
        string line = $"{path}: W1 holds 1 NaN and 1 infinite value (of 39200){Damage}";
        AssertOneLine(CliRunner.Run(_dir, "eval", "--data", TestData.Dir, "--weights", path, "--per-image"), 3, line);
        AssertOneLine(CliRunner.Run(_dir, "predict", "0", "--data", TestData.Dir, "--weights", path), 3, line);

        string output = Path.Combine(_dir, "blank.safetensors");
        AssertOneLine(CliRunner.Run(_dir, "convert", path, output), 3, line);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Eval_of_a_safetensors_model_with_Inf_exits_3()
    {
        string path = WriteSafeTensors(_dir, "model.safetensors", WithW1((0, float.PositiveInfinity)), new Dictionary<string, string> { ["model"] = "three-layer" });
        AssertOneLine(CliRunner.Run(_dir, "eval", "--data", TestData.Dir, "--weights", path), 3, $"{path}: W1 holds 0 NaN and 1 infinite value (of 39200){Damage}");
    }

    [Fact]
    public void A_transposed_W1_is_blamed_by_eval_and_convert_refuses_it()
    {
        var arrays = Sample();
        arrays["W1"] = arrays["W1"].Transposed();
        string path = WritePickle(_dir, "torch.pkl", arrays);
        string line = $"{path}: W1 has shape (50, 784) but b1 (50,) and W2 (50, 100) say its layer has 50 units: stored transposed? It must be (784, 50) (PyTorch's nn.Linear stores (outputs, inputs)).";
        AssertOneLine(CliRunner.Run(_dir, "eval", "--data", TestData.Dir, "--weights", path), 3, line);

        string output = Path.Combine(_dir, "torch.safetensors");
        AssertOneLine(CliRunner.Run(_dir, "convert", path, output), 3, line);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Row_vector_biases_give_the_books_accuracy()
    {
        var arrays = Sample();
        foreach (string b in new[] { "b1", "b2", "b3" })
        {
            arrays[b] = arrays[b].Reshaped(1, arrays[b].Values.Length);
        }

        var r = CliRunner.Run(_dir, "eval", "--data", TestData.Dir, "--weights", WritePickle(_dir, "rows.pkl", arrays));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("Accuracy: 0.9352", r.Stdout);
    }

    [Theory]
    [InlineData("hidden")]
    [InlineData("classes")]
    public void A_network_with_an_empty_layer_exits_3_not_70(string which)
    {
        var arrays = Sample();
        if (which == "hidden")
        {
            (arrays["W2"], arrays["b2"], arrays["W3"]) = (new([50, 0], []), new([0], []), new([0, 10], []));
        }
        else
        {
            (arrays["W3"], arrays["b3"]) = (new([100, 0], []), new([0], []));
        }

        string path = WritePickle(_dir, "empty.pkl", arrays);
        string line = which == "hidden"
            ? $"{path}: W2 has shape (50, 0): 0 units in its layer: every layer needs at least one."
            : $"{path}: W3 has shape (100, 0): 0 output classes: a classifier needs at least one class.";
        AssertOneLine(CliRunner.Run(_dir, "eval", "--data", TestData.Dir, "--weights", path), 3, line);
        AssertOneLine(CliRunner.Run(_dir, "predict", "0", "--data", TestData.Dir, "--weights", path), 3, line);
    }

    [Fact]
    public void A_tiny_safetensors_whose_metadata_describes_a_huge_network_exits_3()
    {
        var random = new Random(9);
        var tiny = new Dictionary<string, WeightFiles.Array> { ["W1"] = Random(random, 2, 2), ["b1"] = Random(random, 2), ["W2"] = Random(random, 2, 2), ["b2"] = Random(random, 2) };
        string path = WriteSafeTensors(_dir, "huge.safetensors", tiny,
            new Dictionary<string, string> { ["model"] = "two-layer", ["input"] = "46000", ["hidden"] = "46000", ["output"] = "10" });
        AssertOneLine(CliRunner.Run(_dir, "eval", "--data", TestData.Dir, "--weights", path), 3,
            $"{path}: its metadata describes a 46000-46000-10 network but its tensors form 2-2-2: the file is inconsistent and cannot be used.");
    }

    [Fact]
    public void Convert_of_params_pkl_notes_float64_and_eval_of_the_result_gives_the_books_accuracy()
    {
        string output = Path.Combine(_dir, "params.safetensors");
        var r = CliRunner.Run(_dir, "convert", TestData.Weights("params.pkl"), output);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(
            ["deepscratch: note: 6 float64 arrays are stored as float32 (W1, b1, W2, b2, W3, b3), the type DeepScratch computes in."],
            r.StderrLines);

        // A whole-test-set run of SimpleConvNet's layer-by-layer forward: minutes in a Debug build on a shared machine.
        var e = CliRunner.Run(_dir, new Dictionary<string, string>(), TimeSpan.FromMinutes(15), "eval", "--data", TestData.Dir, "--weights", output, "--batch-size", "1000");
        Assert.True(e.ExitCode == 0, e.Stderr);
        Assert.Contains("Accuracy: 0.9600", e.Stdout);
    }
}
