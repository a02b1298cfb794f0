using DeepScratch.Tests.Data;

namespace DeepScratch.Tests.Cli;

/// <summary>
/// Issue 11 item 5: `deepscratch train` on recipes that really diverge on Fashion-MNIST exits 4 with one line that
/// names the rule that fired and the option to change, and writes no model (TrainCliTests has --lr 1e6, --lr 1e30,
/// momentum --lr 4 and --init 1000; these are the recipes it lacked).
/// </summary>
public sealed class DivergenceCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deepscratch-diverge-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [FashionMnistTheory]
    [InlineData("it ended at chance", "The learning rate is too large (--lr 20): lower it, e.g. --lr 2.",
        "--optimizer", "sgd", "--lr", "20", "--iterations", "600")]
    [InlineData("the mean loss of the last 50 iterations is", "The initial weights are too large (--init 10): use a smaller --init, such as 0.01 (the book's).",
        "--init", "10", "--iterations", "100")]
    [InlineData("parameter W1 holds", "The weight-decay term dominates the loss (--weight-decay 1E+06; λ·ΣW²/2 is over 1000 times the data loss before training): lower it, e.g. --weight-decay 0.1 (the book's).",
        "--model", "multi-layer", "--weight-decay", "1e6", "--iterations", "100")]
    public void A_diverging_recipe_exits_4_with_one_line_naming_the_rule_and_the_option(string rule, string advice, params string[] options)
    {
        string model = Path.Combine(_dir, "model.safetensors");

        var r = CliRunner.Run(_dir, ["train", "--dataset", "fashion-mnist", "--seed", "0", "--out", model, .. options]);

        Assert.True(r.ExitCode == 4, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.Single(r.StderrLines);
        Assert.StartsWith("deepscratch: error: training diverged", r.Stderr);
        Assert.Contains(rule, r.Stderr);
        Assert.EndsWith(advice, r.Stderr.TrimEnd());
        Assert.False(File.Exists(model));
    }
}
