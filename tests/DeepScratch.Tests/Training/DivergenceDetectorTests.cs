using DeepScratch.Layers;
using DeepScratch.Models;
using DeepScratch.Training;
using DeepScratch.Training.Optimizers;

namespace DeepScratch.Tests.Training;

/// <summary>
/// The divergence rule on synthetic loss sequences. Expected iterations are worked out by hand from the documented
/// rule (window 50, 3 × ln C, 10 iterations at ≥ 0.99 × 16.118, |parameter| ≤ 1e6), not from the detector.
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
        Assert.Equal(3 * Ln10, new DivergenceDetector(10).RiseThreshold, 12);
        Assert.Equal(3 * 4.605170185988092, new DivergenceDetector(100).RiseThreshold, 12);
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
    public void The_cap_rule_fires_even_when_three_ln_classes_is_above_the_cap()
    {
        // 1000 classes: 3 × ln 1000 = 20.7 > 16.118, so only the cap rule can see this run.
        var e = Feed([Math.Log(1000), .. Enumerable.Repeat(Cap, 20)], classes: 1000);
        Assert.NotNull(e);
        Assert.Equal(DivergenceSign.LossAtCap, e.Sign);
        Assert.Equal(11, e.Iteration);
    }

    [Fact]
    public void Ten_capped_losses_interrupted_by_one_below_the_cap_do_not_count_as_pinned()
    {
        // 9 at the cap, one at 15 (< 0.99 × 16.118 = 15.957), 9 at the cap, then healthy: never 10 in a row, and the
        // run ends after 20 < 50 iterations with mean (18 × 16.118 + 15 + 2.3) / 20 = 15.37 > 6.91: rule 3 at the end.
        double[] losses = [.. Enumerable.Repeat(Cap, 9), 15, .. Enumerable.Repeat(Cap, 9), Ln10];
        var e = Feed(losses);
        Assert.NotNull(e);
        Assert.Equal(DivergenceSign.LossFarAboveStart, e.Sign);
        Assert.Equal(20, e.Iteration);
    }

    [Fact]
    public void A_rising_loss_stops_when_the_window_mean_passes_three_ln_classes()
    {
        // 30 iterations at 2.3, then 12. Mean of the last 50 at iteration k (50 <= k <= 80):
        // (12 (k - 30) + 2.3 (80 - k)) / 50 > 6.9078 first at k = 54 (k = 53: 6.762, k = 54: 6.956).
        var e = Feed([.. Enumerable.Repeat(2.3, 30), .. Enumerable.Repeat(12.0, 100)]);
        Assert.NotNull(e);
        Assert.Equal(DivergenceSign.LossFarAboveStart, e.Sign);
        Assert.Equal(DivergenceCause.LearningRate, e.Cause);
        Assert.Equal(54, e.Iteration);
        Assert.Contains("ln 10", e.Message);
    }

    [Fact]
    public void A_window_mean_just_under_the_limit_is_not_stopped()
    {
        Assert.Null(Feed(Enumerable.Repeat(6.9, 500))); // 6.9 < 3 ln 10 = 6.9078
        Assert.NotNull(Feed(Enumerable.Repeat(6.91, 500)));
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
        // Starts at 6 (well above ln 10) for 100 iterations, then learns: a deep net finding its footing.
        var losses = Enumerable.Range(1, 3000).Select(i => i <= 100 ? 6.0 : 0.5 + 5.5 * Math.Exp(-(i - 100) / 200.0));
        Assert.Null(Feed(losses));
    }

    [Fact]
    public void A_short_run_is_judged_at_its_end_on_all_its_losses()
    {
        var e = Feed([Ln10, 9, 9, 9, 9]); // mean (2.303 + 36) / 5 = 7.66 > 6.91
        Assert.NotNull(e);
        Assert.Equal(DivergenceSign.LossFarAboveStart, e.Sign);
        Assert.Equal(5, e.Iteration);
        Assert.Contains("last 5 iterations is 7.661", e.Message);
        Assert.Null(Feed([Ln10, 5, 5, 5, 5])); // mean 4.46: a slow start
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
