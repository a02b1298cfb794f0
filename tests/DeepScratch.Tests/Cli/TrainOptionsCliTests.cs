namespace DeepScratch.Tests.Cli;

/// <summary>
/// <c>deepscratch train</c>'s options checked by the library's one rule (WeightInit, Dropout, NetworkFactory's
/// defaults): the exact usage line, and what the library accepts the command line accepts too.
/// </summary>
public sealed class TrainOptionsCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deepscratch-trainopt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private CliResult Train(params string[] options) =>
        CliRunner.Run(_dir, ["train", "--dataset", "fashion-mnist", "--out", Path.Combine(_dir, "x.safetensors"), .. options]);

    [Theory]
    [InlineData("--init: The weight initialisation must be he (the book's relu), xavier (sigmoid) or a positive standard deviation such as 0.01; got 'gauss'.",
        "--model", "multi-layer", "--init", "gauss")]
    [InlineData("--init: The weight initialisation must be he (the book's relu), xavier (sigmoid) or a positive standard deviation such as 0.01; got '0'.",
        "--init", "0")]
    [InlineData("--dropout: The dropout ratio is the fraction of neurons erased and must be at least 0 and below 1; got 1.",
        "--model", "multi-layer", "--dropout", "1")]
    [InlineData("--dropout: The dropout ratio is the fraction of neurons erased and must be at least 0 and below 1; got -0.5.",
        "--model", "multi-layer", "--dropout", "-0.5")]
    [InlineData("--model two-layer takes a standard deviation for --init (the book's weight_init_std), not the scheme 'relu'.",
        "--init", "relu")]
    [InlineData("--hidden: Hidden layer sizes must be positive whole numbers separated by commas, like 100,100; 'x' is not one.",
        "--model", "multi-layer", "--hidden", "100,x")]
    [InlineData("--lr 1E+39 is beyond float32, the precision training uses (the largest is 3.4e+38): give a learning rate such as 0.01.", "--lr", "1e39")]
    public void A_value_the_library_refuses_is_one_usage_line(string message, params string[] options)
    {
        var r = Train(options);
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.Equal([$"deepscratch: error: {message}"], r.StderrLines);
        Assert.False(File.Exists(Path.Combine(_dir, "x.safetensors")));
    }

    [Theory]
    [InlineData("relu")]
    [InlineData("sigmoid")]
    public void The_book_names_of_the_schemes_are_accepted_as_the_library_accepts_them(string init)
    {
        var r = Train("--model", "multi-layer", "--hidden", "20", "--init", init, "--iterations", "5");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains($"Training multi-layer 784-20-10 (relu) on Fashion-MNIST", r.Stdout);
        Assert.Contains($", init {init}, ", r.Stdout);
    }

    [Fact]
    public void The_multi_layer_defaults_come_from_the_library()
    {
        var r = Train("--model", "multi-layer", "--batchnorm", "--dropout", "0.25", "--iterations", "2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        // Three hidden layers of 100, He init, ReLU: the recipe's defaults; --batchnorm makes it MultiLayerNetExtend.
        Assert.Contains("Training multi-layer-extend 784-100-100-100-10 (relu, batchnorm, dropout 0.25) on Fashion-MNIST", r.Stdout);
        Assert.Contains(", init he (multi-layer default), ", r.Stdout);
    }

    [Fact]
    public void The_help_gives_the_choices_and_defaults_of_the_library()
    {
        var r = CliRunner.Run(_dir, "train", "--help");
        Assert.Equal(0, r.ExitCode);
        string help = string.Join(" ", r.Stdout.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("Weight init: he (the book's relu), xavier (sigmoid) or a positive standard deviation such as 0.01 (default 0.01 for two-layer, he for multi-layer;", help);
        Assert.Contains("(default 50 for two-layer, 100,100,100 for multi-layer)", help);
    }
}
