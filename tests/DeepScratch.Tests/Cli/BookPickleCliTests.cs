using System.Diagnostics;
using DeepScratch.Tests.Models;
using DeepScratch.Tests.Serialization;
using Xunit.Abstractions;
using static DeepScratch.Tests.Models.WeightFiles;

namespace DeepScratch.Tests.Cli;

/// <summary>
/// eval, predict, convert and inspect on the book's three pickles: the network recognised from the arrays' names and
/// shapes (or forced with --model), the book's exact accuracies, every prediction equal to the book's numpy forward
/// (bench/reference/book_convnet.py run by /usr/bin/python3), and one-line diagnoses for files that are not the network.
/// </summary>
public sealed class BookPickleCliTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deepscratch-book-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void AssertOneLine(CliResult r, int exitCode, string line)
    {
        Assert.True(r.ExitCode == exitCode, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.Equal([$"deepscratch: error: {line}"], r.StderrLines);
    }

    // The batched runs (--batch-size 1000) are the predictions tests below, which assert the accuracy too.
    [Theory]
    [InlineData("params.pkl", "0.9600", "--per-image", null)]
    public void Eval_recognises_the_books_convnet_pickles_and_gives_the_books_accuracy(string file, string accuracy, string option, string? value)
    {
        string[] args = ["eval", "--data", TestData.Dir, "--weights", TestData.Weights(file), option, .. value is null ? System.Array.Empty<string>() : [value]];
        var r = CliRunner.Run(_dir, new Dictionary<string, string>(), TimeSpan.FromMinutes(15), args);

        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains($"Accuracy: {accuracy}", r.Stdout);
        Assert.Contains(file == "params.pkl" ? "(simple-cnn 1x28x28 (conv 30 5x5 stride 1 pad 0," : "(deep-cnn 1x28x28 (conv 16 3x3 stride 1 pad 1,", r.Stdout);
    }

    [PythonNumpyFact]
    public void The_predictions_csv_of_params_pkl_agrees_with_the_books_numpy_forward_image_by_image() =>
        AssertPredictionsAgree("params.pkl", "0.9600");

    [PythonNumpyFact]
    public void The_predictions_csv_of_deep_convnet_params_pkl_agrees_with_the_books_numpy_forward_image_by_image() =>
        AssertPredictionsAgree("deep_convnet_params.pkl", "0.9797");

    [Fact]
    public void A_convnet_pickle_with_a_wrong_shape_names_the_array_and_the_shape_needed()
    {
        var arrays = new Dictionary<string, WeightFiles.Array>
        {
            ["W1"] = new([30, 1, 5, 5], new float[750]), ["b1"] = new([30], new float[30]),
            ["W2"] = new([4320, 99], new float[4320 * 99]), ["b2"] = new([100], new float[100]),
            ["W3"] = new([100, 10], new float[1000]), ["b3"] = new([10], new float[10]),
        };
        string path = WritePickle(_dir, "params.pkl", arrays);

        AssertOneLine(CliRunner.Run(_dir, "eval", "--data", TestData.Dir, "--weights", path), 3, $"{path}: W2 has shape (4320, 99) but simple-cnn needs (4320, 100).");
        AssertOneLine(CliRunner.Run(_dir, "convert", path, Path.Combine(_dir, "out.safetensors")), 3, $"{path}: W2 has shape (4320, 99) but simple-cnn needs (4320, 100).");
        Assert.False(File.Exists(Path.Combine(_dir, "out.safetensors")));
    }

    [Fact]
    public void Arrays_of_no_book_network_get_one_readable_line()
    {
        var random = new Random(3);
        string path = WritePickle(_dir, "other.pkl", new Dictionary<string, WeightFiles.Array> { ["conv.weight"] = Random(random, 4, 1, 3, 3), ["fc.bias"] = Random(random, 10) });

        AssertOneLine(CliRunner.Run(_dir, "eval", "--data", TestData.Dir, "--weights", path), 3,
            $"{path}: its arrays (conv.weight, fc.bias) are none of the book's networks (three-layer: W1..b3; simple-cnn: W1..b3 with filters W1 (FN, C, FH, FW); deep-cnn: W1..b8).");
    }

    [Fact]
    public void Model_forces_a_network_and_a_file_that_is_not_it_is_named()
    {
        string pkl = TestData.Weights("params.pkl");
        var forced = CliRunner.Run(_dir, "predict", "0", "--data", TestData.Dir, "--weights", pkl, "--model", "deep-cnn");
        AssertOneLine(forced, 3, $"{pkl}: deep-cnn needs W4, b4, W5, b5, W6, b6, W7, b7, W8, b8, which the file lacks (it has W1, b1, W2, b2, W3, b3).");

        var three = CliRunner.Run(_dir, "eval", "--data", TestData.Dir, "--weights", pkl, "--model", "three-layer");
        Assert.Equal(3, three.ExitCode);
        Assert.Single(three.StderrLines);
        Assert.StartsWith($"deepscratch: error: {pkl}: ", three.Stderr);

        var ok = CliRunner.Run(_dir, "predict", "0", "--data", TestData.Dir, "--weights", pkl, "--model", "simple-cnn");
        Assert.True(ok.ExitCode == 0, ok.Stderr);
        Assert.Contains("7", ok.Stdout);

        var bad = CliRunner.Run(_dir, "eval", "--weights", pkl, "--model", "lenet");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("three-layer", bad.Stderr);
        Assert.Contains("deep-cnn", bad.Stderr);
    }

    [Fact]
    public void Inspect_shows_the_recognised_network_and_its_layers_with_their_settings()
    {
        var r = CliRunner.Run(_dir, "inspect", TestData.Weights("deep_convnet_params.pkl"));

        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = r.Stdout.ReplaceLineEndings("\n").Split('\n');
        int at = System.Array.FindIndex(lines, l => l.StartsWith("network: deep-cnn", StringComparison.Ordinal));
        Assert.True(at >= 0, r.Stdout);
        Assert.Equal(
            ["conv 16 3x3 stride 1 pad 1", "relu", "conv 16 3x3 stride 1 pad 1", "relu", "pool 2x2 stride 2",
             "conv 32 3x3 stride 1 pad 1", "relu", "conv 32 3x3 stride 1 pad 2", "relu", "pool 2x2 stride 2",
             "conv 64 3x3 stride 1 pad 1", "relu", "conv 64 3x3 stride 1 pad 1", "relu", "pool 2x2 stride 2",
             "affine 50", "relu", "dropout 0.5", "affine 10", "dropout 0.5"],
            lines.Skip(at + 1).Take(20).Select(l => l.Trim()));
    }

    private void AssertPredictionsAgree(string file, string accuracy)
    {
        string csv = Path.Combine(_dir, "predictions.csv");
        // The layer-by-layer forward of DeepConvNet over 10,000 images takes minutes in a Debug build on a shared machine.
        var r = CliRunner.Run(_dir, new Dictionary<string, string>(), TimeSpan.FromMinutes(15),
            "eval", "--data", TestData.Dir, "--weights", TestData.Weights(file), "--batch-size", "1000", "--predictions", csv);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains($"Accuracy: {accuracy}", r.Stdout);

        string script = Path.Combine(TestData.RepositoryRoot, "bench", "reference", "book_convnet.py");
        var start = new ProcessStartInfo(PythonNumpyFactAttribute.Python, [script, TestData.Weights(file), Path.Combine(TestData.Dir, "mnist")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var python = Process.Start(start)!;
        var stdout = python.StandardOutput.ReadToEndAsync();
        string stderr = python.StandardError.ReadToEnd();
        python.WaitForExit();
        Assert.True(python.ExitCode == 0, stderr);

        var book = stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(',')).ToArray();
        var ours = File.ReadAllLines(csv).Skip(1).Select(l => l.Split(',')).ToArray();
        Assert.Equal(10000, book.Length);
        Assert.Equal(10000, ours.Length);
        var disagreements = book.Zip(ours)
            .Where(p => p.First[1] != p.Second[2])
            .Select(p => $"image {p.First[0]}: numpy {p.First[1]} (margin {p.First[2]}), DeepScratch {p.Second[2]}")
            .ToList();
        output.WriteLine($"{file}: {10000 - disagreements.Count} of 10000 predictions equal to the book's numpy forward.");
        foreach (string d in disagreements)
        {
            output.WriteLine(d);
        }

        Assert.True(disagreements.Count == 0, string.Join("; ", disagreements));
    }
}
