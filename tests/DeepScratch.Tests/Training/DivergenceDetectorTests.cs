using DeepScratch.Layers;
using DeepScratch.Models;
using DeepScratch.Training;
using DeepScratch.Training.Optimizers;

namespace DeepScratch.Tests.Training;

/// <summary>
/// The divergence rule on synthetic loss sequences. Expected iterations are worked out by hand from the documented
/// rule (window 50, 2 × ln C, 10 iterations at ≥ 0.99 × 16.118, |parameter| ≤ 1e6), not from the detector.
/// </summary>
public class DivergenceDetectorTests
{
    private const double Ln10 = 2.302585092994046;
    private const double Cap = 16.11809565095832; // -ln(1e-7), numpy: -np.log(1e-7)

    /// <summary>Feeds losses for iterations 1, 2, ...; returns the exception, or null when none fired (Finish included).</summary>
    private static TrainingDivergedException? Feed(IEnumerable<double> losses, int classes = 10)
    {
        var detector = new DivergenceDetector(classes);
        int iteration = 0;
        try
        {
            foreach (double loss in losses)
            {
                detector.ObserveLoss(++iteration, loss);
            }

            detector.Finish(iteration);
            return null;
        }
        catch (TrainingDivergedException e)
        {
            return e;
        }
    }

    [Fact]
    public void The_constants_are_the_documented_ones()
    {
        Assert.Equal(Cap, DivergenceDetector.LossCap, 12);
        Assert.Equal(2 * Ln10, new DivergenceDetector(10).RiseThreshold, 12);
        Assert.Equal(2 * 4.605170185988092, new DivergenceDetector(100).RiseThreshold, 12);
    }

    [Fact]
    public void A_loss_pinned_at_the_cap_stops_after_ten_iterations_and_blames_the_learning_rate()
    {
        // Iteration 1 healthy (ln 10), then exactly the cap (the momentum lr 4 run sits at 16.1181): the 10th
        // capped loss is iteration 11.
        var e = Feed([Ln10, .. Enumerable.Repeat(16.1181, 100)]);
        Assert.NotNull(e);
        Assert.Equal(DivergenceSign.LossAtCap, e.Sign);
        Assert.Equal(DivergenceCause.LearningRate, e.Cause);
        Assert.Equal(11, e.Iteration);
        Assert.Contains("16.118", e.Message);
        Assert.Contains("learning rate", e.Message);
    }

    [Fact]
    public void A_loss_at_the_cap_from_the_first_iteration_blames_the_initial_weights()
    {
        var e = Feed(Enumerable.Repeat(Cap, 30));
        Assert.NotNull(e);
        Assert.Equal(DivergenceSign.LossAtCap, e.Sign);
        Assert.Equal(DivergenceCause.InitialWeights, e.Cause);
        Assert.Equal(10, e.Iteration);
        Assert.Contains("initial weights", e.Message);
    }

    [Fact]
    public void The_cap_rule_fires_even_when_two_ln_classes_is_above_the_cap()
    {
        // 5000 classes: 2 × ln 5000 = 17.03 > 16.118, so only the cap rule can see this run.
        var e = Feed([Math.Log(5000), .. Enumerable.Repeat(Cap, 20)], classes: 5000);
        Assert.NotNull(e);
        Assert.Equal(DivergenceSign.LossAtCap, e.Sign);
        Assert.Equal(11, e.Iteration);
    }

    [Fact]
    public void Ten_capped_losses_interrupted_by_one_below_the_cap_do_not_count_as_pinned()
    {
        // 9 at the cap, one at 15 (< 0.99 × 16.118 = 15.957), 9 at the cap, then healthy: never 10 in a row, and the
        // run ends after 20 < 50 iterations with mean (18 × 16.118 + 15 + 2.3) / 20 = 15.37 > 4.61: rule 3 at the end.
        double[] losses = [.. Enumerable.Repeat(Cap, 9), 15, .. Enumerable.Repeat(Cap, 9), Ln10];
        var e = Feed(losses);
        Assert.NotNull(e);
        Assert.Equal(DivergenceSign.LossFarAboveStart, e.Sign);
        Assert.Equal(20, e.Iteration);
    }

    [Fact]
    public void A_rising_loss_stops_when_the_window_mean_passes_two_ln_classes()
    {
        // 30 iterations at 2.3, then 8. Mean of the last 50 at iteration k (50 <= k <= 80):
        // (8 (k - 30) + 2.3 (80 - k)) / 50 > 4.6052 first at k = 51 (k = 50: 4.580, k = 51: 4.694).
        var e = Feed([.. Enumerable.Repeat(2.3, 30), .. Enumerable.Repeat(8.0, 100)]);
        Assert.NotNull(e);
        Assert.Equal(DivergenceSign.LossFarAboveStart, e.Sign);
        Assert.Equal(DivergenceCause.LearningRate, e.Cause);
        Assert.Equal(51, e.Iteration);
        Assert.Contains("ln 10", e.Message);
    }

    [Fact]
    public void A_window_mean_just_under_the_limit_is_not_stopped()
    {
        Assert.Null(Feed(Enumerable.Repeat(4.6, 500))); // 4.6 < 2 ln 10 = 4.6052
        Assert.NotNull(Feed(Enumerable.Repeat(4.61, 500)));
    }

    [Fact]
    public void A_healthy_noisy_decrease_with_batch_of_one_spikes_is_not_stopped()
    {
        // A batch-of-one run: the loss falls from ln 10 towards 0.4 with noise, and every 7th example is misclassified
        // with a loss of 9 (far above the limit on its own).
        var random = new Random(1);
        var losses = Enumerable.Range(1, 20_000).Select(i =>
            i % 7 == 0 ? 9.0 : 0.4 + (Ln10 - 0.4) * Math.Exp(-i / 500.0) + random.NextDouble());
        Assert.Null(Feed(losses));
    }

    [Fact]
    public void A_slow_start_above_ln_10_is_not_stopped()
    {
        // Starts at 4.2 (well above ln 10; the slowest real start seen, a batch-of-one sigmoid net, was 4.11) for 100
        // iterations, then learns: a deep net finding its footing.
        var losses = Enumerable.Range(1, 3000).Select(i => i <= 100 ? 4.2 : 0.5 + 3.7 * Math.Exp(-(i - 100) / 200.0));
        Assert.Null(Feed(losses));
    }

    [Fact]
    public void A_short_run_is_judged_at_its_end_on_all_its_losses()
    {
        var e = Feed([Ln10, 9, 9, 9, 9]); // mean (2.303 + 36) / 5 = 7.66 > 4.61
        Assert.NotNull(e);
        Assert.Equal(DivergenceSign.LossFarAboveStart, e.Sign);
        Assert.Equal(5, e.Iteration);
        Assert.Contains("last 5 iterations is 7.661", e.Message);
        Assert.Null(Feed([Ln10, 5, 5, 5, 5])); // mean 4.46: a slow start
    }

    /// <summary>Feeds losses, then ends the run with the given final training accuracy and commonest-class share.</summary>
    private static TrainingDivergedException? FeedAndFinish(IEnumerable<double> losses, double accuracy, double commonest, double[]? withDecay = null)
    {
        var detector = new DivergenceDetector(10);
        int iteration = 0;
        try
        {
            foreach (double loss in losses)
            {
                detector.ObserveLoss(iteration + 1, loss, withDecay?[iteration] ?? loss);
                iteration++;
            }

            detector.Finish(iteration, accuracy, commonest);
            return null;
        }
        catch (TrainingDivergedException e)
        {
            return e;
        }
    }

    /// <summary>The shape of the QA run `--optimizer adam --lr 1 --iterations 300` on Fashion-MNIST: a burst near the cap, then flat at ln 10.</summary>
    private static double[] BurstThenFlat() => [Ln10, 15.3, 14.3, 11, 13, 13.9, 12, 12, 5.5, 3.7, .. Enumerable.Repeat(2.34, 290)];

    [Fact]
    public void A_run_ending_at_chance_after_its_loss_rose_is_diverged()
    {
        // Largest window mean by hand, iterations 2-51: (15.3 + 14.3 + 11 + 13 + 13.9 + 12 + 12 + 5.5 + 3.7 + 41 × 2.34) / 50
        // = 196.64 / 50 = 3.933, i.e. 1.630 above the start 2.303 (limit 0.5 ln 10 = 1.151); every window stays under
        // 4.61, so only the end-of-run check sees it.
        var e = FeedAndFinish(BurstThenFlat(), accuracy: 0.1000, commonest: 0.1);
        Assert.NotNull(e);
        Assert.Equal(DivergenceSign.EndedAtChance, e.Sign);
        Assert.Equal(DivergenceCause.LearningRate, e.Cause);
        Assert.Equal(300, e.Iteration);
        Assert.Contains("training accuracy 0.1000", e.Message);
        Assert.Contains("rose to 3.933, far above its start 2.303", e.Message);
    }

    [Fact]
    public void The_end_check_spares_runs_that_learned_and_runs_whose_loss_never_rose()
    {
        // Same losses, but the network learned (0.16 > 1.5 × 0.1): not at chance.
        Assert.Null(FeedAndFinish(BurstThenFlat(), accuracy: 0.16, commonest: 0.1));
        // At chance with a learning rate too small to move anything: the loss stays at its start.
        Assert.Null(FeedAndFinish(Enumerable.Repeat(Ln10, 300), accuracy: 0.1, commonest: 0.1));
        // A short run that rose by less than 0.5 ln 10: mean of [2.303, 3, 3, 3] = 2.826, 0.52 above the start.
        Assert.Null(FeedAndFinish([Ln10, 3, 3, 3], accuracy: 0.1, commonest: 0.1));
        // A data set whose commonest class is 60 %: accuracy 0.85 is below 1.5 × 0.6 = 0.9, so it counts as chance.
        Assert.NotNull(FeedAndFinish(BurstThenFlat(), accuracy: 0.85, commonest: 0.6));
    }

    [Fact]
    public void A_decay_term_dwarfing_the_data_loss_at_the_start_blames_the_weight_decay()
    {
        // The QA run `--weight-decay 1e30`: first loss 3.07e32 with decay, 2.71 without; the weights blow up after one update.
        var detector = new DivergenceDetector(10);
        detector.ObserveLoss(1, 2.71, 3.07e32);
        var e = Assert.Throws<TrainingDivergedException>(() => detector.CheckParameters(1, [new Parameter("W1", new Tensor([-2.34e27f], 1))]));
        Assert.Equal(DivergenceCause.WeightDecay, e.Cause);
        Assert.Contains("weight decay", e.Message);

        // The book's λ 0.1 recipe starts near 70 with decay against 2.3 without (30 times): a blow-up there is the learning rate's.
        var book = new DivergenceDetector(10);
        book.ObserveLoss(1, Ln10, Ln10 + 70);
        e = Assert.Throws<TrainingDivergedException>(() => book.CheckParameters(1, [new Parameter("W1", new Tensor([2e6f], 1))]));
        Assert.Equal(DivergenceCause.LearningRate, e.Cause);
    }

    [Theory]
    [InlineData(double.NaN, 3, DivergenceCause.LearningRate)]
    [InlineData(double.PositiveInfinity, 3, DivergenceCause.LearningRate)]
    [InlineData(double.NaN, 1, DivergenceCause.InitialWeights)]
    public void A_non_finite_loss_stops_at_once(double bad, int at, DivergenceCause cause)
    {
        var e = Feed([.. Enumerable.Repeat(Ln10, at - 1), bad, Ln10]);
        Assert.NotNull(e);
        Assert.Equal(DivergenceSign.NonFiniteLoss, e.Sign);
        Assert.Equal(cause, e.Cause);
        Assert.Equal(at, e.Iteration);
    }

    [Fact]
    public void Huge_and_non_finite_parameters_are_caught_with_the_name_and_counts()
    {
        var fine = new Parameter("W1", new Tensor([0.5f, -999_999f, 3f], 3));
        var huge = new Parameter("W2", new Tensor([0.5f, -1.5e6f, 3f], 3));
        var nonFinite = new Parameter("b2", new Tensor([float.NaN, float.PositiveInfinity, float.NaN, 1f], 4));

        var detector = new DivergenceDetector(10);
        detector.CheckParameters(0, [fine]);
        detector.ObserveLoss(1, Ln10);
        var e = Assert.Throws<TrainingDivergedException>(() => detector.CheckParameters(1, [fine, huge]));
        Assert.Equal(DivergenceSign.HugeParameter, e.Sign);
        Assert.Equal(DivergenceCause.LearningRate, e.Cause);
        Assert.Contains("W2 holds -1.5e+06", e.Message);

        e = Assert.Throws<TrainingDivergedException>(() => new DivergenceDetector(10).CheckParameters(4, [fine, nonFinite]));
        Assert.Equal(DivergenceSign.NonFiniteParameter, e.Sign);
        Assert.Contains("b2 holds 2 NaN and 1 infinite values", e.Message);

        e = Assert.Throws<TrainingDivergedException>(() => new DivergenceDetector(10).CheckParameters(0, [huge]));
        Assert.Equal(DivergenceCause.InitialWeights, e.Cause);
        Assert.Contains("before training", e.Message);
    }
}
