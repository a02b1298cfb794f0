using DeepScratch.Models;
using DeepScratch.Training;
using DeepScratch.Training.Optimizers;

namespace DeepScratch.Tests.Training;

/// <summary>
/// The book's evaluate_sample_num_per_epoch: after each epoch the trainer measures the first N examples of each set,
/// and at the end the whole test set. Checked against the network's own accuracy on those rows, taken at the moment
/// each figure is reported (the progress callback runs before the next iteration changes the weights).
/// </summary>
public class TrainerSampleTests
{
    private static (Tensor X, Tensor T) Blobs(int n, int seed)
    {
        var random = new Random(seed);
        var x = new float[n * 4];
        var t = new float[n];
        for (int i = 0; i < n; i++)
        {
            t[i] = i % 2;
            for (int j = 0; j < 4; j++)
            {
                // Overlapping blobs: accuracies stay below 1 and differ between samples, so a wrong count shows.
                x[i * 4 + j] = (float)(random.NextDouble() + (i % 2 == 0 ? 0 : 0.4));
            }
        }

        return (new Tensor(x, n, 4), new Tensor(t, n));
    }

    private sealed class Recorder(TwoLayerNet network, Tensor xTrain, Tensor tTrain, Tensor xTest, Tensor tTest) : IProgress<TrainingProgress>
    {
        public List<(TrainingProgress P, double TrainFirst, double TestFirst, double TestAll)> Epochs { get; } = [];

        public int Sample { get; init; }

        public void Report(TrainingProgress value)
        {
            if (value.TestAccuracy is not null)
            {
                Epochs.Add((value, network.Accuracy(xTrain.Rows(0, Sample), tTrain.Rows(0, Sample)),
                    network.Accuracy(xTest.Rows(0, Sample), tTest.Rows(0, Sample)), network.Accuracy(xTest, tTest)));
            }
        }
    }

    [Fact]
    public void Each_epoch_measures_the_first_examples_and_the_end_the_whole_test_set()
    {
        var (x, t) = Blobs(60, seed: 1);
        var (xTest, tTest) = Blobs(90, seed: 2);
        var network = new TwoLayerNet(4, 6, 2, 0.1, seed: 3);
        var recorder = new Recorder(network, x, t, xTest, tTest) { Sample = 7 };
        var history = new Trainer(network, new Sgd(0.2), new TrainerOptions(BatchSize: 10, Epochs: 3, EvaluationSample: 7)).Fit(x, t, xTest, tTest, recorder);

        Assert.Equal([(7, 7), (7, 7), (7, 90)], history.SampleSizes);
        Assert.Equal(3, recorder.Epochs.Count);
        for (int e = 0; e < 3; e++)
        {
            var (p, trainFirst, testFirst, testAll) = recorder.Epochs[e];
            Assert.Equal(trainFirst, history.TrainAccuracy[e]);
            Assert.Equal(e < 2 ? testFirst : testAll, history.TestAccuracy[e]);
            Assert.Equal(7, p.TrainExamples);
            Assert.Equal(e < 2 ? 7 : 90, p.TestExamples);
        }

        // The final figure is the whole test set, measured again here from the trained network.
        Assert.Equal(network.Accuracy(xTest, tTest), history.TestAccuracy[^1]);
    }

    [Fact]
    public void A_sample_of_0_or_past_the_set_measures_the_whole_sets_and_a_negative_one_is_refused()
    {
        var (x, t) = Blobs(40, seed: 4);
        var (xTest, tTest) = Blobs(30, seed: 5);
        foreach (int sample in new[] { 0, 1000 })
        {
            var network = new TwoLayerNet(4, 6, 2, 0.1, seed: 3);
            var history = new Trainer(network, new Sgd(0.2), new TrainerOptions(BatchSize: 10, Epochs: 2, EvaluationSample: sample)).Fit(x, t, xTest, tTest);
            Assert.Equal([(40, 30), (40, 30)], history.SampleSizes);
            Assert.Equal(network.Accuracy(x, t), history.TrainAccuracy[^1]);
        }

        Assert.Equal(1000, new TrainerOptions().EvaluationSample); // the book's train_convnet.py figure
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new Trainer(new TwoLayerNet(4, 6, 2, 0.1, seed: 3), new Sgd(0.2), new TrainerOptions(EvaluationSample: -1)).Fit(x, t, xTest, tTest));
        Assert.Contains("got -1", e.Message);
    }
}
