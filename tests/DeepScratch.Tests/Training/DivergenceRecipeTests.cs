using DeepScratch.Data;
using DeepScratch.Models;
using DeepScratch.Tests.Data;
using DeepScratch.Training;
using DeepScratch.Training.Optimizers;

namespace DeepScratch.Tests.Training;

/// <summary>
/// Issue 11 item 5: the divergence rule on recipes that really diverge on real data (2,000 Fashion-MNIST training
/// images), through the public Trainer API: a learning rate of 20 (the run ends at chance after its loss rose), initial
/// weights of std 10, a weight decay of 1e6; and NaN or ∞ in the data, refused before the first iteration instead of
/// being reported as a divergence blamed on the learning rate.
/// </summary>
public class DivergenceRecipeTests
{
    private static readonly Lazy<(Tensor X, Tensor T, Tensor XTest, Tensor TTest)> Fashion = new(() =>
    {
        string Path(string name) => System.IO.Path.Combine(Catalog.FashionSystemFolder, name);
        var train = Mnist.Read(Path("train-images-idx3-ubyte.gz"), Path("train-labels-idx1-ubyte.gz"));
        var test = Mnist.Read(Path("t10k-images-idx3-ubyte.gz"), Path("t10k-labels-idx1-ubyte.gz"));
        return (train.ImageTensor().Rows(0, 2000).Clone(), train.LabelTensor().Rows(0, 2000).Clone(),
            test.ImageTensor().Rows(0, 1000).Clone(), test.LabelTensor().Rows(0, 1000).Clone());
    });

    private static TrainingDivergedException Diverges(INetwork network, IOptimizer optimizer, int iterations)
    {
        var (x, t, xTest, tTest) = Fashion.Value;
        return Assert.Throws<TrainingDivergedException>(() =>
            new Trainer(network, optimizer, new TrainerOptions(BatchSize: 100, Iterations: iterations)).Fit(x, t, xTest, tTest));
    }

    [FashionMnistFact]
    public void Sgd_with_learning_rate_20_ends_at_chance_after_its_loss_rose_and_blames_the_learning_rate()
    {
        var e = Diverges(new TwoLayerNet(784, 50, 10, 0.01, seed: 0), new Sgd(20), iterations: 600);

        Assert.Equal(DivergenceCause.LearningRate, e.Cause);
        Assert.Equal(600, e.Iteration);
        Assert.Equal(DivergenceSign.EndedAtChance, e.Sign);
        Assert.Contains("it ended at chance", e.Message);
    }

    [FashionMnistFact]
    public void Sgd_with_learning_rate_1000_stops_within_the_first_window()
    {
        var e = Diverges(new TwoLayerNet(784, 50, 10, 0.01, seed: 0), new Sgd(1000), iterations: 600);

        Assert.Equal(DivergenceCause.LearningRate, e.Cause);
        Assert.True(e.Iteration <= DivergenceDetector.Window, $"stopped at iteration {e.Iteration}: {e.Message}");
    }

    [FashionMnistFact]
    public void Initial_weights_of_std_10_are_blamed_on_the_initialisation()
    {
        var e = Diverges(new TwoLayerNet(784, 50, 10, 10, seed: 0), new Sgd(0.01), iterations: 100);

        Assert.Equal(DivergenceCause.InitialWeights, e.Cause);
        Assert.True(e.Iteration <= DivergenceDetector.Window, $"stopped at iteration {e.Iteration}: {e.Message}");
    }

    [FashionMnistFact]
    public void A_weight_decay_of_1e6_is_blamed_on_the_weight_decay()
    {
        var e = Diverges(new MultiLayerNet(784, [100, 100], 10, "relu", weightDecayLambda: 1e6, seed: 0), new Sgd(0.01), iterations: 100);

        Assert.Equal(DivergenceCause.WeightDecay, e.Cause);
        Assert.True(e.Iteration <= 3, $"stopped at iteration {e.Iteration}: {e.Message}");
    }

    [FashionMnistFact]
    public void NaN_or_infinity_in_the_data_is_refused_before_training_with_the_example_named()
    {
        var (x, t, xTest, tTest) = Fashion.Value;
        var badTrain = x.Clone();
        badTrain.Span[(1234 * 784) + 400] = float.NaN;
        badTrain.Span[(1500 * 784) + 3] = float.NaN;
        var badTest = xTest.Clone();
        badTest.Span[(5 * 784) + 10] = float.PositiveInfinity;
        var network = new TwoLayerNet(784, 50, 10, 0.01, seed: 0);
        var before = network.Parameters.Select(p => p.Value.ToArray()).ToList();
        var trainer = new Trainer(network, new Sgd(0.1), new TrainerOptions(BatchSize: 100, Iterations: 50));

        var e = Assert.Throws<ArgumentException>(() => trainer.Fit(badTrain, t, xTest, tTest));
        var f = Assert.Throws<ArgumentException>(() => trainer.Fit(x, t, badTest, tTest));

        Assert.Equal("The training inputs hold 2 NaN and 0 infinite values (the first in example 1234): inputs must be finite (a NaN input makes the loss NaN). (Parameter 'xTrain')", e.Message);
        Assert.Equal("The test inputs hold 0 NaN and 1 infinite value (the first in example 5): inputs must be finite (a NaN input makes the loss NaN). (Parameter 'xTest')", f.Message);
        // Nothing was trained.
        Assert.Equal(before, network.Parameters.Select(p => p.Value.ToArray()).ToList());
    }
}
