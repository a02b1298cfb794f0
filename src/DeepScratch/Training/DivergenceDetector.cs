using System.Globalization;
using System.Numerics.Tensors;
using DeepScratch.Functions;
using DeepScratch.Layers;

namespace DeepScratch.Training;

/// <summary>
/// Decides when a training run has diverged, so that it stops instead of saving a worthless network. The
/// cross-entropy's 1e-7 floor caps a classifier's loss at -ln(1e-7) = 16.118, so a blown-up network keeps a finite
/// loss and "NaN or infinite" alone misses it. The rule (C = number of classes, loss = the data loss of each minibatch
/// without the weight-decay term, which in the book's own recipes can exceed the cap by itself):
/// <list type="number">
/// <item>a loss that is NaN or infinite;</item>
/// <item>the loss at the cap: the last <see cref="CapWindow"/> losses all at least <see cref="CapFraction"/> × 16.118;</item>
/// <item>the loss far above its start: the mean of the last <see cref="Window"/> losses above <see cref="RiseFactor"/> × ln C
/// (ln C is the loss of a uniform guess, where an untrained network starts: 2 × ln 10 = 4.61); a run shorter than the
/// window is judged on the mean of all its losses when it ends;</item>
/// <item>a parameter that is NaN, infinite or larger in magnitude than <see cref="MaxParameter"/>, checked before the first
/// update and after every update;</item>
/// <item>a run that ends at chance after its loss rose above its start: the final training accuracy at most
/// <see cref="ChanceFactor"/> × the share of the commonest class (0.15 for Fashion-MNIST), and some window mean (of
/// <see cref="Window"/> losses, or all of a shorter run) at least <see cref="PeakRise"/> × ln C above the first loss
/// (checked by <see cref="Finish(int, double, double)"/>).</item>
/// </list>
/// The likely cause is <see cref="DivergenceCause.InitialWeights"/> when the untrained network already breaks the
/// rule (its first loss, measured before any update, trips rule 1 or is above the thresholds of rules 2 or 3, or
/// rule 4 fires before the first update), else <see cref="DivergenceCause.WeightDecay"/> when the weight-decay term of
/// the first loss is over <see cref="DecayDominance"/> times its data loss (the decay step itself overshoots), otherwise
/// <see cref="DivergenceCause.LearningRate"/>.
/// </summary>
/// <remarks>
/// The thresholds leave a wide margin for healthy runs: the book's recipes start near ln C and fall, a slow start
/// (He-initialised deep nets, sigmoid nets) stays well under 3 × ln C, a batch-of-one run's single bad minibatches
/// are averaged over the window, and trained weights stay in the tens at most.
/// </remarks>
public sealed class DivergenceDetector
{
    /// <summary>Iterations averaged by the "far above its start" rule.</summary>
    public const int Window = 50;

    /// <summary>The window mean must exceed this multiple of ln(classes) to count as diverged.</summary>
    public const double RiseFactor = 2;

    /// <summary>Rule 5: a window mean this multiple of ln(classes) above the first loss counts as "rose above its start".</summary>
    public const double PeakRise = 0.5;

    /// <summary>Rule 5: a final training accuracy at most this multiple of the commonest class's share counts as chance.</summary>
    public const double ChanceFactor = 1.5;

    /// <summary>The weight-decay term is blamed when, before any update, it exceeds the data loss this many times.</summary>
    public const double DecayDominance = 1000;

    /// <summary>Consecutive iterations at the cap that count as diverged.</summary>
    public const int CapWindow = 10;

    /// <summary>A loss at least this fraction of <see cref="LossCap"/> counts as "at the cap".</summary>
    public const double CapFraction = 0.99;

    /// <summary>A parameter larger in magnitude than this is absurd for these networks (trained weights stay in the tens).</summary>
    public const float MaxParameter = 1e6f;

    /// <summary>The largest loss of the book's cross-entropy: -ln(<see cref="Losses.Delta"/>) = 16.118.</summary>
    public static readonly double LossCap = -Math.Log(Losses.Delta);

    private readonly double[] _recent = new double[Window];
    private int _count;
    private int _atCap;
    private bool _startBroken;
    private bool _decayDominates;
    private double _firstLoss = double.NaN;
    private double _peakMean = double.NegativeInfinity;

    /// <summary>A detector for a classifier with <paramref name="classes"/> outputs.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is below 2.</exception>
    public DivergenceDetector(int classes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        Classes = classes;
        RiseThreshold = RiseFactor * Math.Log(classes);
    }

    /// <summary>The number of classes the thresholds were set for.</summary>
    public int Classes { get; }

    /// <summary><see cref="RiseFactor"/> × ln(<see cref="Classes"/>): 6.91 for 10 classes.</summary>
    public double RiseThreshold { get; }

    /// <summary>
    /// Records the loss of iteration <paramref name="iteration"/> (from 1), computed before that iteration's update.
    /// </summary>
    /// <exception cref="TrainingDivergedException">The loss trips rule 1, 2 or 3.</exception>
    public void ObserveLoss(int iteration, double loss) => ObserveLoss(iteration, loss, loss);

    /// <summary>
    /// Records the data loss <paramref name="loss"/> of iteration <paramref name="iteration"/> (from 1) and the loss
    /// with the weight-decay term, <paramref name="lossWithDecay"/>, whose share of the first loss decides whether
    /// the advice names the weight decay.
    /// </summary>
    /// <exception cref="TrainingDivergedException">The loss trips rule 1, 2 or 3.</exception>
    public void ObserveLoss(int iteration, double loss, double lossWithDecay)
    {
        if (_count == 0)
        {
            _firstLoss = loss;
            _startBroken = !double.IsFinite(loss) || loss > RiseThreshold || loss >= CapFraction * LossCap;
            double decay = lossWithDecay - loss;
            _decayDominates = double.IsFinite(loss) && !(decay <= DecayDominance * loss);
        }

        if (!double.IsFinite(loss))
        {
            throw Diverged(DivergenceSign.NonFiniteLoss, iteration,
                $"training diverged at iteration {iteration}: the loss became {Format(loss)}.");
        }

        _atCap = loss >= CapFraction * LossCap ? _atCap + 1 : 0;
        _recent[_count % Window] = loss;
        _count++;
        if (_atCap >= CapWindow)
        {
            throw Diverged(DivergenceSign.LossAtCap, iteration, string.Create(CultureInfo.InvariantCulture,
                $"training diverged at iteration {iteration}: the loss stayed at the cross-entropy's cap {LossCap:0.000} (-ln 1e-7, "
                + $"the right class given probability 0) for {CapWindow} iterations."));
        }

        if (_count >= Window)
        {
            CheckMean(iteration, Window);
        }
    }

    /// <summary>
    /// Checks every parameter value after the update of iteration <paramref name="iteration"/> (0: before training).
    /// </summary>
    /// <exception cref="TrainingDivergedException">A value is NaN, infinite or above <see cref="MaxParameter"/> in magnitude.</exception>
    public void CheckParameters(int iteration, IReadOnlyList<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        // By index: foreach over the interface would allocate an enumerator on every iteration of a training loop.
        for (int p = 0; p < parameters.Count; p++)
        {
            var parameter = parameters[p];
            var values = parameter.Value.Span;
            if (values.IsEmpty)
            {
                continue;
            }

            // MaxMagnitude propagates NaN, so one pass finds NaN, infinity and absurd sizes.
            float largest = TensorPrimitives.MaxMagnitude(values);
            if (float.IsFinite(largest) && Math.Abs(largest) <= MaxParameter)
            {
                continue;
            }

            if (iteration == 0)
            {
                _startBroken = true;
            }

            string when = iteration == 0 ? "before training" : $"after iteration {iteration}";
            if (!float.IsFinite(largest))
            {
                int nan = 0, inf = 0;
                foreach (float v in values)
                {
                    nan += float.IsNaN(v) ? 1 : 0;
                    inf += float.IsInfinity(v) ? 1 : 0;
                }

                throw Diverged(DivergenceSign.NonFiniteParameter, iteration,
                    $"training diverged {when}: parameter {parameter.Name} holds {nan} NaN and {inf} infinite values.");
            }

            throw Diverged(DivergenceSign.HugeParameter, iteration,
                $"training diverged {when}: parameter {parameter.Name} holds {largest.ToString("0.###e+00", CultureInfo.InvariantCulture)} (the limit is 1e+06 in magnitude; trained weights stay in the tens).");
        }
    }

    /// <summary>
    /// Ends the run after <paramref name="iteration"/> iterations: a run shorter than <see cref="Window"/> is judged by
    /// rule 3 on the mean of all its losses.
    /// </summary>
    /// <exception cref="TrainingDivergedException">The mean loss is above <see cref="RiseThreshold"/>.</exception>
    public void Finish(int iteration)
    {
        if (_count is > 0 and < Window)
        {
            CheckMean(iteration, _count);
        }
    }

    /// <summary>
    /// Ends the run as <see cref="Finish(int)"/> does, then applies rule 5: a final training accuracy
    /// <paramref name="trainAccuracy"/> at chance (at most <see cref="ChanceFactor"/> × <paramref name="commonestShare"/>,
    /// the share of the commonest class in the training labels) after a window mean rose <see cref="PeakRise"/> × ln C
    /// above the first loss.
    /// </summary>
    /// <exception cref="TrainingDivergedException">Rule 3 or 5 holds.</exception>
    public void Finish(int iteration, double trainAccuracy, double commonestShare)
    {
        Finish(iteration);
        double rise = _peakMean - _firstLoss;
        if (trainAccuracy <= ChanceFactor * commonestShare && rise >= PeakRise * Math.Log(Classes))
        {
            throw Diverged(DivergenceSign.EndedAtChance, iteration, string.Create(CultureInfo.InvariantCulture,
                $"training diverged: it ended at chance (training accuracy {trainAccuracy:0.0000}; the commonest class alone gives "
                + $"{commonestShare:0.0000}) after its mean loss over {Math.Min(_count, Window)} iterations rose to {_peakMean:0.000}, far above its start {_firstLoss:0.000}."));
        }
    }

    private void CheckMean(int iteration, int n)
    {
        // The last n losses of the ring (n <= Window); summed afresh so no rounding accumulates over a long run.
        double sum = 0;
        for (int i = _count - n; i < _count; i++)
        {
            sum += _recent[i % Window];
        }

        double mean = sum / n;
        _peakMean = Math.Max(_peakMean, mean);
        if (mean > RiseThreshold)
        {
            throw Diverged(DivergenceSign.LossFarAboveStart, iteration, string.Create(CultureInfo.InvariantCulture,
                $"training diverged at iteration {iteration}: the mean loss of the last {n} iterations is {mean:0.000}, far above "
                + $"{Math.Log(Classes):0.000} (ln {Classes}, where an untrained network starts; the limit is {RiseFactor} times that)."));
        }
    }

    private TrainingDivergedException Diverged(DivergenceSign sign, int iteration, string diagnosis) =>
        new(diagnosis, sign,
            _startBroken ? DivergenceCause.InitialWeights : _decayDominates ? DivergenceCause.WeightDecay : DivergenceCause.LearningRate,
            iteration);

    private static string Format(double value) => value.ToString("G4", CultureInfo.InvariantCulture);
}
