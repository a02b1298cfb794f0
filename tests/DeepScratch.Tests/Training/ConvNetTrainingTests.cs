using DeepScratch.Data;
using DeepScratch.Models;
using DeepScratch.Training;
using DeepScratch.Training.Optimizers;

namespace DeepScratch.Tests.Training;

/// <summary>
/// Short seeded trainings of the book's two CNNs on the first MNIST test digits (the shared data folder): the loss
/// falls for several optimizers, and a saved CNN reloads with the same accuracy, image for image.
/// </summary>
public class ConvNetTrainingTests
{
    private static readonly Lazy<MnistSet> Set = new(() => Mnist.LoadSet(DatasetSplit.Test, new DataStore(TestData.Dir, downloader: null)));

    private static readonly Lazy<(Tensor X, Tensor T)> Digits = new(() =>
        (Set.Value.ImageTensor(normalize: true, flatten: false), Set.Value.LabelTensor(oneHot: false)));

    private static INetwork Create(string model, int seed) => NetworkFactory.Create(new Dictionary<string, string> { ["model"] = model }, seed);

    /// <summary>The mean loss of the first and the last <paramref name="window"/> iterations of a seeded run.</summary>
    private static (double First, double Last, INetwork Network) Train(string model, string optimizer, double lr, int examples, int iterations, int window)
    {
        var (x, t) = Digits.Value;
        var network = Create(model, seed: 2);
        var history = new Trainer(network, OptimizerFactory.Create(optimizer, lr), new TrainerOptions(BatchSize: 20, Iterations: iterations, Seed: 3, EvaluationSample: 50))
            .Fit(x.Rows(0, examples), t.Rows(0, examples), x.Rows(examples, 50), t.Rows(examples, 50));
        return (history.Loss.Take(window).Average(), history.Loss.TakeLast(window).Average(), network);
    }

    [Theory]
    [InlineData("simple-cnn", "adam", 0.001)]
    [InlineData("simple-cnn", "rmsprop", 0.001)]
    [InlineData("deep-cnn", "adam", 0.001)]
    public void A_short_seeded_training_lowers_the_loss(string model, string optimizer, double lr)
    {
        var (first, last, _) = Train(model, optimizer, lr, examples: 200, iterations: 40, window: 5);
        // Untrained, the loss is near ln 10 = 2.30; 40 steps on 200 digits must bring it well down.
        Assert.True(first > 1.9, $"{model}/{optimizer}: first losses {first} should be near ln 10");
        Assert.True(last < first - 0.15, $"{model}/{optimizer}: loss went from {first} to {last}, not down by 0.15");
    }

    [Fact]
    public void The_same_seed_gives_the_same_losses()
    {
        var a = Train("deep-cnn", "adam", 0.001, examples: 60, iterations: 3, window: 3);
        var b = Train("deep-cnn", "adam", 0.001, examples: 60, iterations: 3, window: 3);
        Assert.Equal(a.First, b.First);
        Assert.Equal(a.Last, b.Last);
    }

    [Theory]
    [InlineData("simple-cnn")]
    [InlineData("deep-cnn")]
    public void A_saved_CNN_reloads_with_the_same_accuracy_and_the_same_scores(string model)
    {
        var (_, _, network) = Train(model, "adam", 0.001, examples: 200, iterations: 20, window: 5);
        var (x, t) = Digits.Value;
        var test = (X: x.Rows(1000, 500), T: t.Rows(1000, 500));
        string path = Path.Combine(Directory.CreateTempSubdirectory("deepscratch-cnn-").FullName, "cnn.safetensors");
        try
        {
            ModelFile.Save(path, network);
            var loaded = ModelFile.Load(path);
            var labels = Set.Value.Labels.AsSpan(1000, 500);
            var expected = Evaluation.Evaluate(network, test.X, labels, batchSize: 100);
            var actual = Evaluation.Evaluate(loaded, test.X, labels, batchSize: 100);
            Assert.Equal(expected.Correct, actual.Correct);
            Assert.Equal(expected.Predicted, actual.Predicted);
            Assert.InRange(expected.Correct, 100, 500); // trained: well above chance (50 of 500)

            // The reloaded network scores every image as the trained one does.
            var reloaded = Assert.IsAssignableFrom<INetwork>(loaded);
            var before = network.Predict(test.X);
            var after = reloaded.Predict(test.X);
            Assert.Equal(before.ToArray(), after.ToArray());
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }
}
