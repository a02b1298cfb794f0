using DeepScratch.Models;

namespace DeepScratch.Tests.Models;

/// <summary>
/// Every inference path on the same input gives the class the book's numpy code gives, for each of the 10,000 real
/// test images: the fused pixel path at batch sizes whose tiles group the images differently (so zero-skipping skips
/// different k steps), the fused float path, the layer-by-layer <see cref="ThreeLayerNet.Predict"/> on the whole
/// batch, and one image at a time. The oracle is numpy's (book-predictions.txt), not this code.
/// </summary>
public class InferencePathAgreementTests(ThreeLayerNetTests.BookNetwork book) : IClassFixture<ThreeLayerNetTests.BookNetwork>
{
    private static readonly int[] Numpy = BookReference.Predictions();

    [Theory]
    [InlineData(1)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(100)]
    [InlineData(10000)]
    public void The_fused_pixel_path_agrees_with_numpy_on_every_image(int batchSize)
    {
        var result = Evaluation.Evaluate(book.Network, book.Set.Images.Pixels, book.Set.Labels, batchSize);
        AssertNumpyClasses(result.Predicted, $"fused pixels, batches of {batchSize}");
    }

    [Fact]
    public void The_fused_float_path_agrees_with_numpy_on_every_image()
    {
        var predictor = book.Network.CreatePredictor(100);
        var probabilities = new float[10000 * 10];
        for (int start = 0; start < 10000; start += 100)
        {
            predictor.Predict(book.X.Rows(start, 100).Span, 100, probabilities.AsSpan(start * 10, 1000));
        }

        AssertNumpyClasses(new Tensor(probabilities, 10000, 10).ArgMaxLastAxis(), "fused floats, batches of 100");
    }

    [Fact]
    public void Layer_by_layer_Predict_agrees_with_numpy_on_every_image_in_one_batch_and_one_at_a_time()
    {
        AssertNumpyClasses(book.Network.Predict(book.X).ArgMaxLastAxis(), "Predict on the whole set");
        AssertNumpyClasses(Evaluation.EvaluatePerImage(book.Network, book.X, book.Set.Labels).Predicted, "Predict per image");
    }

    private static void AssertNumpyClasses(IReadOnlyList<int> predicted, string path)
    {
        Assert.Equal(Numpy.Length, predicted.Count);
        for (int i = 0; i < Numpy.Length; i++)
        {
            Assert.True(Numpy[i] == predicted[i], $"{path}: image {i} is class {predicted[i]}, numpy says {Numpy[i]}");
        }
    }
}
