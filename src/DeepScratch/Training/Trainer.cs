using System.Diagnostics;
using DeepScratch.Models;

namespace DeepScratch.Training;

/// <summary>
/// The book's <c>Trainer</c> (common/trainer.py): shuffled minibatches, one optimizer step each, train and test
/// accuracy after every epoch (an epoch being one pass over the training set, <c>N / batch</c> iterations) on a sample
/// of each set (<see cref="TrainerOptions.EvaluationSample"/>, the book's <c>evaluate_sample_num_per_epoch</c>), and
/// the whole test set at the end.
/// </summary>
public sealed class Trainer(INetwork network, IOptimizer optimizer, TrainerOptions options)
{
    /// <summary>
    /// Iterations in one epoch: <c>max(N / batch, 1)</c> with the batch capped at <paramref name="examples"/>, the
    /// book's <c>iter_per_epoch</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="examples"/> or <paramref name="batchSize"/> is below 1.</exception>
    public static int IterationsPerEpoch(int examples, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(examples, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        return Math.Max(examples / Math.Min(batchSize, examples), 1);
    }

    /// <summary>The iterations a run of <paramref name="options"/> on <paramref name="examples"/> examples does.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count is below 1.</exception>
    /// <exception cref="OverflowException">Epochs times iterations per epoch exceeds <see cref="int.MaxValue"/>.</exception>
    public static int TotalIterations(int examples, TrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Iterations ?? checked(options.Epochs * IterationsPerEpoch(examples, options.BatchSize));
    }

    /// <summary>
    /// Trains on (<paramref name="xTrain"/>, <paramref name="tTrain"/>) and measures on (<paramref name="xTest"/>,
    /// <paramref name="tTest"/>); labels are class indices (N,) or one-hot (N, C). Accuracy is measured after every
    /// epoch on the first <see cref="TrainerOptions.EvaluationSample"/> examples of each set, and after the last
    /// iteration on that training sample and the WHOLE test set (<see cref="TrainingHistory.SampleSizes"/> says which). Every iteration is checked by a <see cref="DivergenceDetector"/>, so a
    /// run returns only with finite parameters of sensible size.
    /// </summary>
    /// <exception cref="TrainingDivergedException">The run diverged by the rule of <see cref="DivergenceDetector"/>.</exception>
    /// <exception cref="ArgumentException">
    /// The sets differ in size from their labels, or an input of either set is NaN or ±∞ (checked before the first
    /// iteration: one such value makes its minibatch's loss NaN, which would otherwise be reported as divergence and
    /// blamed on the learning rate or the initial weights).
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was signalled (checked before every iteration).</exception>
    public TrainingHistory Fit(Tensor xTrain, Tensor tTrain, Tensor xTest, Tensor tTest, IProgress<TrainingProgress>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(xTrain);
        ArgumentNullException.ThrowIfNull(tTrain);
        int n = xTrain.Dim(0);
        if (options.BatchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"Batch size must be at least 1; got {options.BatchSize}.");
        }

        if (options.EvaluationSample < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"The evaluation sample must be 0 (whole sets) or more; got {options.EvaluationSample}.");
        }

        if (n == 0 || tTrain.Dim(0) != n)
        {
            throw new ArgumentException($"{n} training examples and {tTrain.Dim(0)} labels: need as many of each, at least one.");
        }

        ThrowIfNotFinite(xTrain, nameof(xTrain), "training");
        ThrowIfNotFinite(xTest, nameof(xTest), "test");
        int batch = Math.Min(options.BatchSize, n);
        int perEpoch = IterationsPerEpoch(n, batch);
        int total = TotalIterations(n, options);
        var history = new TrainingHistory { IterationsPerEpoch = perEpoch };
        history.Loss.Capacity = Math.Min(total, 1 << 20); // the loss list does not grow (and allocate) in the timed loop
        var (xTrainSample, tTrainSample) = Sample(xTrain, tTrain, options.EvaluationSample);
        var (xTestSample, tTestSample) = Sample(xTest, tTest, options.EvaluationSample);
        var detector = new DivergenceDetector(Classes(tTrain));
        detector.CheckParameters(0, network.Parameters);
        var random = new Random(options.Seed);
        var order = Enumerable.Range(0, n).ToArray();
        var xBatch = Tensor.Zeros([batch, .. xTrain.Shape[1..]]);
        var tBatch = Tensor.Zeros([batch, .. tTrain.Shape[1..]]);
        var clock = Stopwatch.StartNew();
        var epochClock = new Stopwatch();
        int cursor = n; // forces a shuffle before the first batch
        for (int iteration = 1; iteration <= total; iteration++)
        {
            cancel.ThrowIfCancellationRequested();
            if (cursor + batch > n)
            {
                random.Shuffle(order);
                cursor = 0;
            }

            epochClock.Start();
            double loss = Iterate(iteration, xTrain, tTrain, order.AsSpan(cursor, batch), xBatch, tBatch, detector);
            cursor += batch;
            epochClock.Stop();
            history.Loss.Add(loss);
            int epoch = (iteration - 1) / perEpoch + 1;
            bool epochEnd = iteration % perEpoch == 0 || iteration == total;
            if (!epochEnd)
            {
                progress?.Report(new TrainingProgress(iteration, total, epoch, loss, clock.Elapsed));
                continue;
            }

            history.EpochTimes.Add(epochClock.Elapsed);
            epochClock.Reset();
            double trainAccuracy = network.Accuracy(xTrainSample, tTrainSample);
            if (iteration == total)
            {
                // The last check needs the final accuracy: a run at chance after its loss rose has diverged.
                detector.Finish(iteration, trainAccuracy, CommonestShare(tTrain));
            }

            // The run's result is measured on the whole test set; the epochs before it on the sample, as the book's trainer does.
            var (xMeasured, tMeasured) = iteration == total ? (xTest, tTest) : (xTestSample, tTestSample);
            double testAccuracy = network.Accuracy(xMeasured, tMeasured);
            history.SampleSizes.Add((xTrainSample.Dim(0), xMeasured.Dim(0)));
            history.AccuracyIterations.Add(iteration);
            history.TrainAccuracy.Add(trainAccuracy);
            history.TestAccuracy.Add(testAccuracy);
            progress?.Report(new TrainingProgress(iteration, total, epoch, loss, clock.Elapsed, trainAccuracy, testAccuracy)
            {
                TrainExamples = xTrainSample.Dim(0),
                TestExamples = xMeasured.Dim(0),
            });
        }

        history.Elapsed = clock.Elapsed;
        return history;
    }

    /// <summary>
    /// One training iteration of <see cref="Fit"/>: the rows <paramref name="rows"/> gathered into the batch tensors,
    /// the gradient, the loss check, the optimizer's update and the parameter check. Allocates nothing once the
    /// network's and the optimizer's buffers exist (the steady state a test asserts).
    /// </summary>
    /// <returns>The loss of the batch (with the weight-decay term).</returns>
    internal double Iterate(int iteration, Tensor xTrain, Tensor tTrain, ReadOnlySpan<int> rows, Tensor xBatch, Tensor tBatch, DivergenceDetector detector)
    {
        xTrain.TakeRows(rows, xBatch);
        tTrain.TakeRows(rows, tBatch);
        double loss = network.Gradient(xBatch, tBatch);
        // Judged on the data loss: the weight-decay term alone can exceed the cross-entropy's cap.
        double dataLoss = double.IsFinite(loss) ? network.LastDataLoss : loss;
        detector.ObserveLoss(iteration, dataLoss, loss);
        optimizer.Update(network.Parameters);
        detector.CheckParameters(iteration, network.Parameters);
        return loss;
    }

    /// <summary>Refuses inputs holding NaN or ±∞, naming the set, the first such example and the counts.</summary>
    private static void ThrowIfNotFinite(Tensor x, string name, string set)
    {
        ArgumentNullException.ThrowIfNull(x, name);
        var span = x.Span;
        if (System.Numerics.Tensors.TensorPrimitives.IsFiniteAll(span))
        {
            return;
        }

        int nan = 0, infinite = 0, first = -1;
        for (int i = 0; i < span.Length; i++)
        {
            nan += float.IsNaN(span[i]) ? 1 : 0;
            infinite += float.IsInfinity(span[i]) ? 1 : 0;
            first = first < 0 && !float.IsFinite(span[i]) ? i : first;
        }

        int perExample = x.Rank == 0 || x.Dim(0) == 0 ? 1 : span.Length / x.Dim(0);
        throw new ArgumentException(
            $"The {set} inputs hold {nan} NaN and {infinite} infinite value{(infinite == 1 ? "" : "s")} (the first in example {first / perExample}): "
            + "inputs must be finite (a NaN input makes the loss NaN).", name);
    }

    /// <summary>The number of classes: the network's output size, else the one-hot width or the largest label + 1.</summary>
    private int Classes(Tensor labels)
    {
        if (network.Classes >= 2)
        {
            return network.Classes;
        }

        if (labels.Rank == 2)
        {
            return Math.Max(labels.Dim(1), 2);
        }

        float largest = labels.Length == 0 ? 0 : System.Numerics.Tensors.TensorPrimitives.Max(labels.Span);
        return Math.Max((int)largest + 1, 2);
    }

    /// <summary>The share of the commonest class among <paramref name="labels"/> (class indices (N,) or one-hot (N, C)): the accuracy of always guessing it.</summary>
    private static double CommonestShare(Tensor labels)
    {
        var counts = new Dictionary<int, int>();
        var span = labels.Span;
        int n = labels.Dim(0);
        int width = labels.Rank == 2 ? labels.Dim(1) : 1;
        for (int i = 0; i < n; i++)
        {
            int label = width == 1 ? (int)span[i] : System.Numerics.Tensors.TensorPrimitives.IndexOfMax(span.Slice(i * width, width));
            counts[label] = counts.GetValueOrDefault(label) + 1;
        }

        return n == 0 ? 0 : (double)counts.Values.Max() / n;
    }

    /// <summary>The first <paramref name="count"/> examples and labels (views, no copy); all of them for 0 or a count past the end.</summary>
    private static (Tensor X, Tensor T) Sample(Tensor x, Tensor t, int count)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(t);
        return count == 0 || count >= x.Dim(0) || t.Rank == 0 || t.Dim(0) != x.Dim(0) ? (x, t) : (x.Rows(0, count), t.Rows(0, count));
    }
}
