using DeepScratch.Models;

namespace DeepScratch.Tests.Cli;

/// <summary>
/// The "Network:" header of eval names any network by its own <see cref="IClassifier.Description"/>: the book's
/// three-layer pickle and a saved layered network alike.
/// </summary>
public sealed class NetworkHeaderCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deepscratch-header-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Eval_names_the_book_network_by_its_layer_sizes_and_activations()
    {
        string weights = TestData.Weights("sample_weight.pkl");
        var r = CliRunner.Run(_dir, "eval", "--data", TestData.Dir, "--weights", weights);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains($"Network:  {weights} (784-50-100-10, sigmoid, sigmoid, softmax)\n", r.Stdout.Replace("\r", ""));
    }

    [Fact]
    public void Eval_names_a_saved_layered_network_by_its_architecture()
    {
        string model = Path.Combine(_dir, "extend.safetensors");
        ModelFile.Save(model, new MultiLayerNetExtend(784, [20, 10], 10, "sigmoid", "xavier", useDropout: true, dropoutRatio: 0.25, useBatchnorm: true, seed: 3));
        var r = CliRunner.Run(_dir, "eval", "--data", TestData.Dir, "--weights", model);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains($"Network:  {model} (multi-layer-extend 784-20-10-10 (sigmoid, batchnorm, dropout 0.25))\n", r.Stdout.Replace("\r", ""));
    }
}
