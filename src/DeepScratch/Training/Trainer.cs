using System.Diagnostics;
using DeepScratch.Models;

namespace DeepScratch.Training;

/// <summary>How long and in what steps to train.</summary>
/// <param name="BatchSize">Examples per minibatch.</param>
/// <param name="Epochs">Passes over the training set (ignored when <paramref name="Iterations"/> is set).</param>
/// <param name="Iterations">Total minibatch steps instead of whole epochs (the book's ch.5 recipe: 10,000).</param>
/// <param name="Seed">Seeds the shuffling, so the same seed gives the same run.</param>
public sealed record TrainerOptions(int BatchSize = 100, int Epochs = 10, int? Iterations = null, int Seed = 0);

/// <summary>
/// The book's <c>Trainer</c> (common/trainer.py): shuffled minibatches, one optimizer step each, train and test
/// accuracy after every epoch (an epoch being one pass over the training set, <c>N / batch</c> iterations).
/// </summary>
public sealed class Trainer(INetwork network, IOptimizer optimizer, TrainerOptions options)
{
    /// <summary>
    /// Trains on (<paramref name="xTrain"/>, <paramref name="tTrain"/>) and measures on (<paramref name="xTest"/>,
    /// <paramref name="tTest"/>); labels are class indices (N,) or one-hot (N, C).
    /// </summary>
    /// <exception cref="TrainingDivergedException">The loss became NaN or infinite.</exception>
    public TrainingHistory Fit(Tensor xTrain, Tensor tTrain, Tensor xTest, Tensor tTest, IProgress<TrainingProgress>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(xTrain);
        ArgumentNullException.ThrowIfNull(tTrain);
        int n = xTrain.Dim(0);
        if (options.BatchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"Batch size must be at least 1; got {options.BatchSize}.");
        }

        if (n == 0 || tTrain.Dim(0) != n)
        {
            throw new ArgumentException($"{n} training examples and {tTrain.Dim(0)} labels: need as many of each, at least one.");
        }

        int batch = Math.Min(options.BatchSize, n);
        int perEpoch = Math.Max(n / batch, 1);
        int total = options.Iterations ?? checked(options.Epochs * perEpoch);
        var history = new TrainingHistory();
        var random = new Random(options.Seed);
        var order = Enumerable.Range(0, n).ToArray();
        var xBatch = new Tensor([batch, .. xTrain.Shape[1..]]);
        var tBatch = new Tensor([batch, .. tTrain.Shape[1..]]);
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
            Gather(xTrain, order.AsSpan(cursor, batch), xBatch);
            Gather(tTrain, order.AsSpan(cursor, batch), tBatch);
            cursor += batch;
            double loss = network.Gradient(xBatch, tBatch);
            if (!double.IsFinite(loss))
            {
                throw new TrainingDivergedException(
                    $"the loss became {loss} at iteration {iteration} (epoch {(iteration - 1) / perEpoch + 1}): training diverged. " +
                    "Lower the learning rate (--lr).");
            }

            optimizer.Update(network.Parameters);
            epochClock.Stop();
            history.Loss.Add(loss);
            bool epochEnd = iteration % perEpoch == 0 || iteration == total;
            if (!epochEnd)
            {
                progress?.Report(new TrainingProgress(iteration, total, (iteration - 1) / perEpoch + 1, loss, clock.Elapsed));
                continue;
            }

            history.EpochTimes.Add(epochClock.Elapsed);
            epochClock.Reset();
            CheckFinite(iteration);
            double trainAccuracy = network.Accuracy(xTrain, tTrain);
            double testAccuracy = network.Accuracy(xTest, tTest);
            history.TrainAccuracy.Add(trainAccuracy);
            history.TestAccuracy.Add(testAccuracy);
            progress?.Report(new TrainingProgress(iteration, total, (iteration - 1) / perEpoch + 1, loss, clock.Elapsed, trainAccuracy, testAccuracy));
        }

        history.Elapsed = clock.Elapsed;
        return history;
    }

    /// <summary>
    /// A last update can overflow the weights even when the loss before it was finite: never hand back (or let anyone
    /// save) a network holding NaN or infinity.
    /// </summary>
    private void CheckFinite(int iteration)
    {
        foreach (var parameter in network.Parameters)
        {
            foreach (float v in parameter.Value.Span)
            {
                if (!float.IsFinite(v))
                {
                    throw new TrainingDivergedException(
                        $"parameter {parameter.Name} holds {v} after iteration {iteration}: training diverged. Lower the learning rate (--lr).");
                }
            }
        }
    }

    /// <summary>Copies the rows named by <paramref name="rows"/> into <paramref name="destination"/>'s rows, in order.</summary>
    private static void Gather(Tensor source, ReadOnlySpan<int> rows, Tensor destination)
    {
        int width = source.Rank == 1 ? 1 : source.Length / source.Dim(0);
        var src = source.Span;
        var dst = destination.Span;
        for (int i = 0; i < rows.Length; i++)
        {
            src.Slice(rows[i] * width, width).CopyTo(dst.Slice(i * width, width));
        }
    }
}
