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
