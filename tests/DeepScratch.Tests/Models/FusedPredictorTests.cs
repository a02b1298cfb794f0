using DeepScratch.Kernels;
using DeepScratch.Models;
using Xunit.Abstractions;

namespace DeepScratch.Tests.Models;

/// <summary>
/// The fused fast path (packed weights, bias and sigmoid in the GEMM epilogue, bytes scaled as they are read) on the
/// book's network and the real MNIST test set: the same answers as the plain <see cref="ThreeLayerNet.Predict"/>,
/// bit for bit, and no garbage once warm.
/// </summary>
public class FusedPredictorTests(ThreeLayerNetTests.BookNetwork book, ITestOutputHelper output) : IClassFixture<ThreeLayerNetTests.BookNetwork>
{
    private const int InputSize = 784;
    private const int Classes = 10;

    private byte[] Pixels => book.Set.Images.Pixels;

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(10000)]
    [InlineData(37)]
    public void Fused_evaluation_gets_9352_of_10000_right(int batchSize)
    {
        var result = Evaluation.Evaluate(book.Network, Pixels, book.Set.Labels, batchSize);
        Assert.Equal(10000, result.Total);
        Assert.Equal(9352, result.Correct);
    }

    [Fact]
    public void Fused_evaluation_gives_the_probabilities_of_Predict_bit_for_bit_on_all_10000_images()
    {
        var fused = Evaluation.Evaluate(book.Network, Pixels, book.Set.Labels, 100);
        var plain = Evaluation.Evaluate(book.Network, book.X, book.Set.Labels, 100);
        AssertSameProbabilities(plain.Probabilities.Span, fused.Probabilities.Span, "Evaluate(pixels) vs Evaluate(Predict), batches of 100");
        Assert.Equal(plain.Predicted, fused.Predicted);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(9999, 1)]
    [InlineData(137, 37)]
    [InlineData(500, 100)]
    [InlineData(1000, 1000)]
    public void PredictPixels_gives_the_probabilities_of_Predict_bit_for_bit(int start, int count)
    {
        var predictor = book.Network.CreatePredictor(count);
        var fused = new float[count * Classes];
        predictor.PredictPixels(Pixels.AsSpan(start * InputSize, count * InputSize), count, fused);
        var plain = book.Network.Predict(book.X.Rows(start, count));
        AssertSameProbabilities(plain.Span, fused, $"images {start}..{start + count - 1}");

        // The float entry point, fed the normalised images, is the same computation.
        var fromFloats = new float[count * Classes];
        predictor.Predict(book.X.Rows(start, count).Span, count, fromFloats);
        AssertSameProbabilities(plain.Span, fromFloats, $"Predict(floats) on images {start}..{start + count - 1}");

        if (count == 1)
        {
            // One image without a batch axis, as the book's first loop calls predict(network, x[i]).
            AssertSameProbabilities(book.Network.Predict(book.X.Row(start)).Span, fused, $"image {start} as a vector");
        }
    }

    [Fact]
    public void Fused_predictions_agree_with_the_book_numpy_code_image_by_image()
    {
        int[] numpy = BookReference.Predictions();
        Assert.Equal(10000, numpy.Length);
        foreach (int batchSize in new[] { 1, 100, 10000 })
        {
            var result = Evaluation.Evaluate(book.Network, Pixels, book.Set.Labels, batchSize);
            var differing = Enumerable.Range(0, numpy.Length).Where(i => numpy[i] != result.Predicted[i]).ToArray();
            Assert.True(differing.Length == 0, $"batch {batchSize}: {differing.Length} images differ from numpy, first: {string.Join(", ", differing.Take(10))}");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(37)]
    [InlineData(100)]
    public void Fused_probabilities_match_a_double_precision_forward_written_from_the_book(int batchSize)
    {
        // The bit-for-bit tests compare two paths that share the kernels' sigmoid and softmax; this oracle does not:
        // x/255, then sigmoid(x·W1 + b1), sigmoid(·W2 + b2), softmax(·W3 + b3), all in double, from the raw weights.
        const int count = 300;
        var net = book.Network;
        var (w1, w2, w3) = (net.W1.ToArray(), net.W2.ToArray(), net.W3.ToArray());
        var (b1, b2, b3) = (net.B1.ToArray(), net.B2.ToArray(), net.B3.ToArray());
        var expected = new double[count * Classes];
        for (int i = 0; i < count; i++)
        {
            var x = new double[InputSize];
            for (int p = 0; p < InputSize; p++)
            {
                x[p] = Pixels[i * InputSize + p] / 255.0;
            }

            var a1 = Layer(x, w1, b1, sigmoid: true);
            var a2 = Layer(a1, w2, b2, sigmoid: true);
            var a3 = Layer(a2, w3, b3, sigmoid: false);
            double max = a3.Max();
            double sum = a3.Sum(v => Math.Exp(v - max));
            for (int j = 0; j < Classes; j++)
            {
                expected[i * Classes + j] = Math.Exp(a3[j] - max) / sum;
            }
        }

        var predictor = net.CreatePredictor(batchSize);
        var fused = new float[count * Classes];
        for (int start = 0; start < count; start += batchSize)
        {
            int n = Math.Min(batchSize, count - start);
            predictor.PredictPixels(Pixels.AsSpan(start * InputSize, n * InputSize), n, fused.AsSpan(start * Classes, n * Classes));
        }

        double worst = 0;
        for (int i = 0; i < fused.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(expected[i] - fused[i]));
        }

        // float32 GEMMs against double: numpy (float64) and DeepScratch differ by at most 9.2e-7 on the whole test set.
        output.WriteLine($"batch {batchSize}: max |fused - double reference| = {worst:G3}");
        Assert.True(worst <= 2e-6, $"batch {batchSize}: fused probabilities differ from the double-precision forward by {worst:G3}");
    }

    private static double[] Layer(double[] x, float[] w, float[] b, bool sigmoid)
    {
        int rows = x.Length, cols = b.Length;
        var z = new double[cols];
        for (int j = 0; j < cols; j++)
        {
            double sum = b[j];
            for (int p = 0; p < rows; p++)
            {
                sum += x[p] * w[p * cols + j];
            }

            z[j] = sigmoid ? DeepScratch.Tests.Kernels.ReferenceActivations.Sigmoid(sum) : sum;
        }

        return z;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(10000)]
    public void A_warmed_up_predictor_allocates_nothing_per_batch(int count)
    {
        var predictor = book.Network.CreatePredictor(count);
        var probabilities = new float[count * Classes];
        var pixels = Pixels.AsSpan(0, count * InputSize);
        predictor.PredictPixels(pixels, count, probabilities);
        predictor.PredictPixels(pixels, count, probabilities);

        long allocated = Allocations.OnThisThread(() =>
        {
            for (int i = 0; i < 3; i++)
            {
                predictor.PredictPixels(Pixels.AsSpan(0, count * InputSize), count, probabilities);
            }
        });
        output.WriteLine($"batch {count}: {allocated} bytes over 3 warm calls ({Gemm.KernelName}, {Environment.ProcessorCount} processors)");
        Assert.True(allocated == 0, $"3 warm calls of batch {count} allocated {allocated} bytes");
        Assert.Equal(book.Set.Labels[0], (byte)Array.IndexOf(probabilities, probabilities.AsSpan(0, Classes).ToArray().Max()));
    }

    [Fact]
    public void PredictPixels_rejects_empty_oversized_and_short_batches()
    {
        var predictor = book.Network.CreatePredictor(4);
        Assert.Equal(4, predictor.MaxBatch);
        Assert.Equal(InputSize, predictor.InputSize);
        Assert.Equal(Classes, predictor.Classes);
        var pixels = Pixels.AsSpan(0, 5 * InputSize).ToArray();
        var probabilities = new float[5 * Classes];

        Assert.Throws<ArgumentOutOfRangeException>("count", () => predictor.PredictPixels(pixels, 0, probabilities));
        Assert.Throws<ArgumentOutOfRangeException>("count", () => predictor.PredictPixels(pixels, -1, probabilities));
        Assert.Throws<ArgumentOutOfRangeException>("count", () => predictor.PredictPixels(pixels, 5, probabilities));
        Assert.Throws<ArgumentException>(() => predictor.PredictPixels(pixels.AsSpan(0, 3 * InputSize - 1), 3, probabilities));
        Assert.Throws<ArgumentException>(() => predictor.PredictPixels(pixels, 3, probabilities.AsSpan(0, 3 * Classes - 1)));
        Assert.Throws<ArgumentException>(() => predictor.Predict(new float[3 * InputSize - 1], 3, probabilities));
        Assert.Throws<ArgumentOutOfRangeException>("count", () => predictor.Predict(new float[InputSize], 0, probabilities));
        Assert.Throws<ArgumentOutOfRangeException>("maxBatch", () => book.Network.CreatePredictor(0));

        // The checks reject, they do not corrupt: a valid call afterwards still works.
        predictor.PredictPixels(pixels, 4, probabilities);
        Assert.Equal(1f, probabilities.AsSpan(0, Classes).ToArray().Sum(), 1e-5f);
    }

    private void AssertSameProbabilities(ReadOnlySpan<float> plain, ReadOnlySpan<float> fused, string what)
    {
        if (Gemm.Kernels == KernelSet.Portable)
        {
            // Predict's Gemm.Multiply runs the portable loops on this processor, which sum in another order than the
            // fused kernels: the two can differ in the last bits, so only closeness can be asked of them here.
            output.WriteLine($"{what}: portable processor, comparing within 1e-6 instead of bit for bit");
            Assert.Equal(plain.Length, fused.Length);
            for (int i = 0; i < plain.Length; i++)
            {
                if (!(MathF.Abs(plain[i] - fused[i]) <= 1e-6f))
                {
                    Assert.Fail($"{what}: element {i}: {plain[i]:R} vs {fused[i]:R}");
                }
            }

            return;
        }

        DeepScratch.Tests.Kernels.KernelTestSupport.AssertBitIdentical(plain, fused, what);
    }
}
