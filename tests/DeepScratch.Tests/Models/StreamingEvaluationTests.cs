using System.IO.Compression;
using DeepScratch.Data;
using DeepScratch.Models;
using DeepScratch.Tests.Data;

namespace DeepScratch.Tests.Models;

/// <summary>
/// Issue 7, item 14: eval streams the test set, so memory follows the batch (and batch x classes), never the set;
/// the book's answer is unchanged at every batch size.
/// </summary>
public sealed class StreamingEvaluationTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static MnistReader OpenRealTestSet() =>
        MnistReader.Open(TestData.Mnist("t10k-images-idx3-ubyte.gz"), TestData.Mnist("t10k-labels-idx1-ubyte.gz"));

    [Theory]
    [InlineData(1, false)]
    [InlineData(37, false)]
    [InlineData(100, false)]
    [InlineData(10000, false)]
    [InlineData(100, true)]
    public void The_book_network_streamed_gets_the_numpy_prediction_for_every_image(int batchSize, bool perImage)
    {
        var network = ThreeLayerNet.Load(TestData.Weights("sample_weight.pkl"));
        int[] expected = BookReference.Predictions();
        var predicted = new List<int>();
        using var data = OpenRealTestSet();

        var result = Evaluation.Evaluate(network, data, batchSize, perImage, (i, _, p, _) =>
        {
            Assert.Equal(predicted.Count, i);
            predicted.Add(p);
        });

        Assert.Equal(9352, result.Correct);
        Assert.Equal(10000, result.Total);
        Assert.Equal(0.9352, result.Accuracy, 12);
        Assert.Equal(expected, predicted);
    }

    [Fact]
    public void A_layered_network_streamed_predicts_what_it_predicts_image_by_image()
    {
        var network = new TwoLayerNet(784, 20, 10, weightInitStd: 0.5, seed: 3);
        var set = Mnist.Read(TestData.Mnist("t10k-images-idx3-ubyte.gz"), TestData.Mnist("t10k-labels-idx1-ubyte.gz"));
        var reference = new int[set.Count];
        int referenceCorrect = 0;
        for (int i = 0; i < set.Count; i++)
        {
            reference[i] = network.Predict(set.ImageTensor(i).Reshape(1, 784)).ArgMax();
            referenceCorrect += reference[i] == set.Labels[i] ? 1 : 0;
        }

        var predicted = new int[set.Count];
        using var data = OpenRealTestSet();
        var result = Evaluation.Evaluate(network, data, 37, onExample: (i, label, p, _) =>
        {
            Assert.Equal(set.Labels[i], label);
            predicted[i] = p;
        });

        Assert.Equal(reference, predicted);
        Assert.Equal(referenceCorrect, result.Correct);
    }

    [Fact]
    public void The_image_size_is_checked_against_the_network_before_any_pixel_is_read()
    {
        // The header claims 10 images of 30x30 and no pixel follows: the size mismatch must be what is reported.
        string images = _temp.Write("i.gz", IdxFiles.Gzip(IdxFiles.Images(10, 30, 30, [])));
        string labels = _temp.Write("l", IdxFiles.Labels(10, new byte[10]));
        var network = ThreeLayerNet.Load(TestData.Weights("sample_weight.pkl"));
        using var data = MnistReader.Open(images, labels);

        var e = Assert.Throws<InvalidDataException>(() => Evaluation.Evaluate(network, data, 100));

        Assert.Equal($"the network takes 784 inputs but the images of {images} have 900 pixels (30x30).", e.Message);
    }

    [Fact]
    public void Eight_hundred_thousand_blank_images_in_a_small_gzip_are_scored_in_bounded_memory()
    {
        const int count = 800_000;
        string images = _temp.File("blank-images.gz");
        using (var gzip = new GZipStream(File.Create(images), CompressionLevel.Optimal))
        {
            gzip.Write(IdxFiles.Images(count, 28, 28, []));
            var zeros = new byte[784 * 1000];
            for (int i = 0; i < count / 1000; i++)
            {
                gzip.Write(zeros);
            }
        }

        var labelBytes = new byte[count];
        for (int i = 0; i < count; i++)
        {
            labelBytes[i] = (byte)(i % 10);
        }

        string labels = _temp.Write("labels.gz", IdxFiles.Gzip(IdxFiles.Labels(count, labelBytes)));
        Assert.True(new FileInfo(images).Length < 2_000_000, "the test file is a small gzip, as in the report");

        // Whatever the image, a network with W3 = 0 and b3 largest at class 3 predicts 3: a tenth of the labels.
        var b3 = new float[10];
        b3[3] = 1;
        var network = new ThreeLayerNet(
            Tensor.Zeros(784, 2), Tensor.Zeros(2), Tensor.Zeros(2, 2), Tensor.Zeros(2), Tensor.Zeros(2, 10), new Tensor(b3, 10));
        using var data = MnistReader.Open(images, labels);
        EvaluationSummary? result = null;

        long allocated = AllocatedBy(() => result = Evaluation.Evaluate(network, data, 100));

        Assert.Equal(count, result!.Total);
        Assert.Equal(count / 10, result.Correct);
        Assert.True(allocated < 16L << 20, $"allocated {allocated:N0} bytes; a copy of the set is 627 MB");
    }

    [Theory]
    [InlineData(100_000, 100)]
    [InlineData(300_000, 100)]
    [InlineData(300_000, 10_000)]
    public void A_network_with_a_huge_class_count_gets_the_right_result_in_bounded_memory(int classes, int batchSize)
    {
        const int count = 300;
        var random = new Random(7);
        var pixels = new byte[count * 784];
        random.NextBytes(pixels);
        var labelBytes = new byte[count];
        for (int i = 0; i < count; i++)
        {
            labelBytes[i] = (byte)(random.Next(2) == 0 ? 3 : 5);
        }

        string images = _temp.Write("images", IdxFiles.Images(count, 28, 28, pixels));
        string labels = _temp.Write("labels", IdxFiles.Labels(count, labelBytes));

        // 784-1-1-classes: the second hidden unit z2 decides between class 3 (10 z2), class 5 (10 - 10 z2) and the
        // last class (20 z2 - 5); every other class has logit 0 and never wins.
        var w1 = new float[784];
        for (int j = 0; j < 784; j++)
        {
            w1[j] = (float)(random.NextDouble() * 0.04 - 0.02);
        }

        var w3 = new float[classes];
        var b3 = new float[classes];
        (w3[3], b3[3]) = (10, 0);
        (w3[5], b3[5]) = (-10, 10);
        (w3[classes - 1], b3[classes - 1]) = (20, -5);
        var network = new ThreeLayerNet(
            new Tensor(w1, 784, 1), Tensor.Zeros(1), new Tensor([4f], 1, 1), new Tensor([-2f], 1), new Tensor(w3, 1, classes), new Tensor(b3, classes));

        // Plain reference loop in double: the argmax of the logits is the argmax of the softmax.
        int expectedCorrect = 0;
        var expected = new int[count];
        for (int i = 0; i < count; i++)
        {
            double a1 = 0;
            for (int j = 0; j < 784; j++)
            {
                a1 += pixels[i * 784 + j] / 255.0 * w1[j];
            }

            double z2 = Sigmoid(4 * Sigmoid(a1) - 2);
            double[] logits = [10 * z2, 10 - 10 * z2, 20 * z2 - 5, 0];
            int best = Array.IndexOf(logits, logits.Max());
            expected[i] = best switch { 0 => 3, 1 => 5, 2 => classes - 1, _ => 0 };
            expectedCorrect += expected[i] == labelBytes[i] ? 1 : 0;
        }

        Assert.Contains(classes - 1, expected);
        var predicted = new int[count];
        using var data = MnistReader.Open(images, labels);
        EvaluationSummary? result = null;

        long allocated = AllocatedBy(() =>
            result = Evaluation.Evaluate(network, data, batchSize, onExample: (i, _, p, probabilities) =>
            {
                predicted[i] = p;
                Assert.Equal(classes, probabilities.Length);
            }));

        Assert.Equal(expected, predicted);
        Assert.Equal(expectedCorrect, result!.Correct);
        Assert.True(allocated < 80L << 20, $"allocated {allocated:N0} bytes; all probabilities at once would be {(long)count * classes * 4:N0}");
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>
    /// Bytes allocated on this thread by <paramref name="action"/>. Not <see cref="Allocations.OnThisThread"/>: these runs
    /// take seconds, and holding its process-wide no-GC region that long collides with other tests' regions; the
    /// few kilobytes a collision can add to the count are nothing against these megabyte bounds.
    /// </summary>
    private static long AllocatedBy(Action action)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
