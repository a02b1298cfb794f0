using System.Text.RegularExpressions;
using DeepScratch.Tests.Data;

namespace DeepScratch.Tests.Cli;

/// <summary>
/// The CLI on a one-processor machine (<c>DOTNET_PROCESSOR_COUNT=1</c>: the worker pool has no threads and the caller
/// runs every block) against the same command on two processors. The library's results do not depend on the thread
/// count, so the two-processor run is the oracle: both exit 0 and print the same losses and accuracies, and the
/// model files and prediction CSVs they write are byte for byte the same. (Before, every training run and any
/// parallel pass stopped with "internal error (ArgumentOutOfRangeException): The releaseCount argument ...".)
/// </summary>
public sealed class OneProcessorCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deepscratch-onecpu-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [FashionMnistFact]
    public void Two_layer_training_gives_the_same_losses_accuracies_and_model_on_one_processor()
    {
        var (one, two) = OnOneAndTwo("model.safetensors",
            "train", "--model", "two-layer", "--lr", "0.1", "--iterations", "8", "--eval-sample", "200", "--dataset", "fashion-mnist", "--seed", "3");
        AssertSameTraining(one, two, iterations: 8);
    }

    [FashionMnistFact]
    public void Multi_layer_training_with_batchnorm_gives_the_same_losses_accuracies_and_model_on_one_processor()
    {
        var (one, two) = OnOneAndTwo("model.safetensors",
            "train", "--model", "multi-layer", "--hidden", "100,100,100", "--batchnorm", "--optimizer", "adam", "--iterations", "8",
            "--eval-sample", "200", "--dataset", "fashion-mnist", "--seed", "3");
        AssertSameTraining(one, two, iterations: 8);
    }

    [FashionMnistFact]
    public void Simple_cnn_training_gives_the_same_losses_accuracies_and_model_on_one_processor()
    {
        string data = TrainCnnCliTests.SmallFashionMnist(_dir, train: 600, test: 300);
        var (one, two) = OnOneAndTwo("model.safetensors",
            "train", "--model", "simple-cnn", "--optimizer", "adam", "--lr", "0.001", "--iterations", "6", "--eval-sample", "100",
            "--dataset", "fashion-mnist", "--data", data, "--seed", "1");
        AssertSameTraining(one, two, iterations: 6);
    }

    // The book's accuracies (its numpy scripts give 0.9797 and 0.9352) on the whole MNIST test set, and every
    // image's ten probabilities the same on one processor as on two.
    [Theory]
    [InlineData("deep_convnet_params.pkl", "0.9797", 9797)]
    [InlineData("sample_weight.pkl", "0.9352", 9352)]
    public void Eval_of_the_books_weights_gives_the_same_accuracy_and_predictions_on_one_processor(string weights, string accuracy, int correct)
    {
        var (one, two) = OnOneAndTwo("predictions.csv", "eval", "--data", TestData.Dir, "--weights", TestData.Weights(weights));

        Assert.Equal([$"Accuracy: {accuracy}", $"Correct:  {correct} / 10000"], Figures(one.Result.Stdout));
        Assert.Equal(Figures(two.Result.Stdout), Figures(one.Result.Stdout));
        Assert.Equal(File.ReadAllBytes(two.File), File.ReadAllBytes(one.File));
    }

    /// <summary>One run of the CLI with its file written under its own folder.</summary>
    private sealed record Run(CliResult Result, string File);

    /// <summary>
    /// Runs the command with <c>DOTNET_PROCESSOR_COUNT</c> 1, then 2, each writing <paramref name="fileName"/> (its
    /// --out, or --predictions for eval) into its own folder; both must exit 0 with nothing on stderr.
    /// </summary>
    private (Run One, Run Two) OnOneAndTwo(string fileName, params string[] args)
    {
        var runs = new Run[2];
        for (int processors = 1; processors <= 2; processors++)
        {
            string folder = Directory.CreateDirectory(Path.Combine(_dir, $"p{processors}")).FullName;
            string file = Path.Combine(folder, fileName);
            string option = args[0] == "eval" ? "--predictions" : "--out";
            var r = CliRunner.Run(folder, new Dictionary<string, string> { ["DOTNET_PROCESSOR_COUNT"] = $"{processors}" }, [.. args, option, file]);
            Assert.True(r.ExitCode == 0, $"{processors} processor(s): exit {r.ExitCode}: {r.Stderr}");
            Assert.Equal("", r.Stderr);
            Assert.True(System.IO.File.Exists(file), $"{processors} processor(s) wrote no {file}");
            runs[processors - 1] = new Run(r, file);
        }

        return (runs[0], runs[1]);
    }

    private static void AssertSameTraining(Run one, Run two, int iterations)
    {
        var figures = Figures(one.Result.Stdout);
        // The epoch lines (loss, train and test accuracy) and the final accuracies are there to compare.
        Assert.Contains(figures, line => Regex.IsMatch(line, $@"^epoch\s+1\s+iteration\s+{iterations}/{iterations}\s+loss \d+\.\d{{4}}\s+train 0\.\d{{4}} \(of \d+\)\s+test 0\.\d{{4}} \(of \d+\)$"));
        Assert.Contains(figures, line => line.StartsWith("Test accuracy: 0.", StringComparison.Ordinal));
        Assert.Contains(figures, line => line.StartsWith("Train accuracy: 0.", StringComparison.Ordinal));
        Assert.Equal(Figures(two.Result.Stdout), figures);
        Assert.Equal(File.ReadAllBytes(two.File), File.ReadAllBytes(one.File));
    }

    /// <summary>The lines with losses and accuracies, without the elapsed time an epoch line ends with.</summary>
    private static List<string> Figures(string stdout) =>
    [
        .. stdout.Replace("\r", "").Split('\n')
            .Where(line => Regex.IsMatch(line, @"^(epoch\s|Test accuracy: |Train accuracy: |Accuracy: |Correct: )"))
            .Select(line => Regex.Replace(line, @"\s+\(\d+(\.\d+)? s\)$", "")),
    ];
}
