using DeepScratch.Layers;
using DeepScratch.Models;
using DeepScratch.Training;
using DeepScratch.Training.Optimizers;

namespace DeepScratch.Tests.Training;

/// <summary>The trainer with real networks: divergence stops it, healthy runs (weight decay included) finish.</summary>
public class TrainerTests
{
    /// <summary>Two separable blobs of 4-pixel "images" with labels 0/1 (n examples), from a fixed seed.</summary>
    private static (Tensor X, Tensor T) Blobs(int n, int seed = 3)
    {
        var random = new Random(seed);
        var x = new float[n * 4];
        var t = new float[n];
        for (int i = 0; i < n; i++)
        {
            t[i] = i % 2;
            for (int j = 0; j < 4; j++)
            {
                x[i * 4 + j] = (float)(random.NextDouble() + (i % 2 == 0 ? 0 : 1.5));
            }
        }

        return (new Tensor(x, n, 4), new Tensor(t, n));
    }

    [Fact]
    public void Iterations_per_epoch_and_totals_follow_the_book()
    {
        Assert.Equal(600, Trainer.IterationsPerEpoch(60_000, 100));
        Assert.Equal(1, Trainer.IterationsPerEpoch(50, 100)); // the batch is capped at the set
        Assert.Equal(3, Trainer.IterationsPerEpoch(10, 3)); // 10 // 3, the last example left over
        Assert.Equal(200, Trainer.TotalIterations(60_000, new TrainerOptions(Iterations: 200)));
        Assert.Equal(6000, Trainer.TotalIterations(60_000, new TrainerOptions(Epochs: 10)));
    }

    [Fact]
    public void Accuracy_is_measured_at_every_epoch_end_and_after_the_last_iteration()
    {
        var (x, t) = Blobs(100);
        var network = new TwoLayerNet(4, 5, 2, 0.1, seed: 1);
        var history = new Trainer(network, new Sgd(0.1), new TrainerOptions(BatchSize: 10, Iterations: 25)).Fit(x, t, x, t);
        Assert.Equal([10, 20, 25], history.AccuracyIterations);
        Assert.Equal([1.0, 2.0, 2.5], history.AccuracyEpochs);
        Assert.Equal(3, history.TestAccuracy.Count);
        Assert.Equal(25, history.Loss.Count);

        history = new Trainer(network, new Sgd(0.1), new TrainerOptions(BatchSize: 10, Iterations: 4)).Fit(x, t, x, t);
        Assert.Equal([0.4], history.AccuracyEpochs); // a run shorter than an epoch still has its point
    }

    [Fact]
    public void A_huge_learning_rate_stops_the_trainer()
    {
        var (x, t) = Blobs(200);
        var network = new TwoLayerNet(4, 8, 2, 0.1, seed: 1);
        var e = Assert.Throws<TrainingDivergedException>(() =>
            new Trainer(network, new Sgd(1e7), new TrainerOptions(BatchSize: 20, Iterations: 500)).Fit(x, t, x, t));
        Assert.Equal(DivergenceCause.LearningRate, e.Cause);
    }

    [Fact]
    public void Huge_initial_weights_are_blamed_on_the_initialisation()
    {
        var (x, t) = Blobs(200);
        var network = new TwoLayerNet(4, 8, 2, 1e7, seed: 1);
        var e = Assert.Throws<TrainingDivergedException>(() =>
            new Trainer(network, new Sgd(0.01), new TrainerOptions(BatchSize: 20, Iterations: 100)).Fit(x, t, x, t));
        Assert.Equal(DivergenceCause.InitialWeights, e.Cause);
        Assert.Equal(0, e.Iteration);
    }

    [Fact]
    public void A_huge_weight_decay_stops_the_trainer_and_is_named()
    {
        // λ = 1e30: SGD's step W -= lr λ W multiplies every weight by about -1e28 at once.
        var (x, t) = Blobs(200);
        var network = new MultiLayerNet(4, [8, 8], 2, "relu", "0.1", weightDecayLambda: 1e30, seed: 1);
        var e = Assert.Throws<TrainingDivergedException>(() =>
            new Trainer(network, new Sgd(0.01), new TrainerOptions(BatchSize: 20, Iterations: 100)).Fit(x, t, x, t));
        Assert.Equal(DivergenceCause.WeightDecay, e.Cause);
        Assert.Equal(1, e.Iteration);
    }

    [Fact]
    public void A_weight_decay_term_above_the_cap_is_not_divergence()
    {
        // λ = 100 with std-0.1 weights (112 of them): 0.5 λ ΣW² starts near 0.5 × 100 × 1.12 = 56, far above the
        // cross-entropy's cap, while the data loss stays near ln 2; the run must finish (the book's
        // overfit_weight_decay.py, λ = 0.1 on 784-100x6-10 He-initialised, starts near 0.05 × 1400 = 70 the same way).
        var (x, t) = Blobs(200);
        var network = new MultiLayerNet(4, [8, 8], 2, "relu", "0.1", weightDecayLambda: 100, seed: 1);
        var history = new Trainer(network, new Sgd(0.001), new TrainerOptions(BatchSize: 20, Iterations: 100)).Fit(x, t, x, t);
        Assert.True(history.Loss[0] > DivergenceDetector.LossCap, $"first loss {history.Loss[0]}: the test needs a decay term above the cap");
        Assert.Equal(100, history.Loss.Count);
    }

    [Fact]
    public void A_cancelled_run_stops_before_the_next_iteration()
    {
        var (x, t) = Blobs(100);
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        var network = new TwoLayerNet(4, 5, 2, 0.1, seed: 1);
        Assert.Throws<OperationCanceledException>(() =>
            new Trainer(network, new Sgd(0.1), new TrainerOptions(BatchSize: 10, Iterations: 25)).Fit(x, t, x, t, cancel: cancel.Token));
    }
}
