using DeepScratch.Data;
using DeepScratch.Models;

namespace DeepScratch.Tests.Models;

/// <summary>The book's chapter 3 network on the real MNIST test set and sample_weight.pkl.</summary>
public class ThreeLayerNetTests : IClassFixture<ThreeLayerNetTests.BookNetwork>
{
    private readonly BookNetwork _book;

    public ThreeLayerNetTests(BookNetwork book) => _book = book;

    [Fact]
    public void One_image_at_a_time_gets_9352_of_10000_right()
    {
        var result = Evaluation.EvaluatePerImage(_book.Network, _book.X, _book.Set.Labels);
        Assert.Equal(9352, result.Correct);
        Assert.Equal(0.9352, result.Accuracy, 10);
    }

    [Theory]
    [InlineData(100)]
    [InlineData(10000)]
    [InlineData(1)]
    [InlineData(37)]
    public void Batched_inference_gets_9352_of_10000_right(int batchSize)
    {
        var result = Evaluation.Evaluate(_book.Network, _book.X, _book.Set.Labels, batchSize);
        Assert.Equal(9352, result.Correct);
        Assert.Equal(10000, result.Total);
    }

    [Fact]
    public void Batched_and_single_predictions_agree_image_by_image()
    {
        var single = Evaluation.EvaluatePerImage(_book.Network, _book.X, _book.Set.Labels);
        var batched = Evaluation.Evaluate(_book.Network, _book.X, _book.Set.Labels, 100);
        Assert.Equal(single.Predicted, batched.Predicted);
        var a = single.Probabilities.Span;
        var b = batched.Probabilities.Span;
        float maxDiff = 0;
        for (int i = 0; i < a.Length; i++)
        {
            maxDiff = MathF.Max(maxDiff, MathF.Abs(a[i] - b[i]));
        }

        Assert.True(maxDiff < 1e-5f, $"probabilities differ by up to {maxDiff}");
    }

    [Fact]
    public void Predictions_agree_with_the_book_numpy_code_image_by_image()
    {
        int[] numpy = BookReference.Predictions();
        var result = Evaluation.Evaluate(_book.Network, _book.X, _book.Set.Labels, 100);
        Assert.Equal(10000, numpy.Length);
        var differing = Enumerable.Range(0, numpy.Length).Where(i => numpy[i] != result.Predicted[i]).ToArray();
        Assert.True(differing.Length == 0, $"{differing.Length} images differ from numpy, first: {string.Join(", ", differing.Take(10))}");
    }

    [Fact]
    public void Predict_maps_one_image_to_ten_probabilities_and_a_batch_to_rows()
    {
        var one = _book.Network.Predict(_book.X.Row(0));
        Assert.Equal([10], one.Shape.ToArray());
        Assert.Equal(1f, one.Sum(), 1e-5f);
        Assert.Equal(7, one.ArgMax()); // the first test image is a 7

        var batch = _book.Network.Predict(_book.X.Rows(0, 5));
        Assert.Equal([5, 10], batch.Shape.ToArray());
        Assert.Equal(new[] { 7, 2, 1, 0, 4 }, batch.ArgMaxLastAxis());
    }

    [Fact]
    public void Predict_matches_numpy_for_the_first_image()
    {
        // The book's numpy code (bench/reference/book_eval.py) on test image 0: softmax output, float32.
        var y = _book.Network.Predict(_book.X.Row(0)).ToArray();
        float[] numpy = BookReference.FirstImageProbabilities;
        for (int c = 0; c < 10; c++)
        {
            Assert.True(MathF.Abs(numpy[c] - y[c]) <= 1e-6f + 1e-4f * numpy[c], $"class {c}: numpy {numpy[c]:R}, ours {y[c]:R}");
        }
    }

    [Fact]
    public void Predict_refuses_inputs_of_the_wrong_size()
    {
        var e = Assert.Throws<ArgumentException>(() => _book.Network.Predict(Tensor.Zeros(28, 28)));
        Assert.Contains("(784,)", e.Message);
        Assert.Contains("(28, 28)", e.Message);
    }

    [Fact]
    public void Network_has_the_book_shapes()
    {
        var net = _book.Network;
        Assert.Equal([784, 50], net.W1.Shape.ToArray());
        Assert.Equal([50, 100], net.W2.Shape.ToArray());
        Assert.Equal([100, 10], net.W3.Shape.ToArray());
        Assert.Equal(10, net.Classes);
        Assert.Equal([784], net.InputShape);
    }

    [Fact]
    public void FromWeights_names_missing_parameters_and_the_file()
    {
        var weights = new Dictionary<string, Tensor> { ["W1"] = Tensor.Zeros(4, 3), ["b1"] = Tensor.Zeros(3) };
        var e = Assert.Throws<InvalidDataException>(() => ThreeLayerNet.FromWeights(weights, "mine.pkl"));
        Assert.Contains("mine.pkl", e.Message);
        Assert.Contains("W2, b2, W3, b3", e.Message);
    }

    [Fact]
    public void FromWeights_refuses_layers_whose_shapes_do_not_chain()
    {
        var weights = new Dictionary<string, Tensor>
        {
            ["W1"] = Tensor.Zeros(4, 3), ["b1"] = Tensor.Zeros(3),
            ["W2"] = Tensor.Zeros(5, 2), ["b2"] = Tensor.Zeros(2),
            ["W3"] = Tensor.Zeros(2, 2), ["b3"] = Tensor.Zeros(2),
        };
        var e = Assert.Throws<InvalidDataException>(() => ThreeLayerNet.FromWeights(weights, "bad.pkl"));
        Assert.Contains("W2", e.Message);
        Assert.Contains("(5, 2)", e.Message);

        weights["W2"] = Tensor.Zeros(3, 2);
        weights["b3"] = Tensor.Zeros(3);
        e = Assert.Throws<InvalidDataException>(() => ThreeLayerNet.FromWeights(weights, "bad.pkl"));
        Assert.Contains("b3", e.Message);
    }

    [Fact]
    public void Evaluate_refuses_a_batch_size_below_one()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Evaluation.Evaluate(_book.Network, _book.X, _book.Set.Labels, 0));
    }

    /// <summary>Loads the book's network and the test set once for the whole class.</summary>
    public sealed class BookNetwork
    {
        public BookNetwork()
        {
            Network = ThreeLayerNet.Load(TestData.Weights("sample_weight.pkl"));
            Set = Mnist.LoadSet(DatasetSplit.Test, new DataStore(TestData.Dir, downloader: null));
            X = Set.ImageTensor(normalize: true, flatten: true);
        }

        public ThreeLayerNet Network { get; }

        public MnistSet Set { get; }

        public Tensor X { get; }
    }
}
