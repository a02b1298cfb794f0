using DeepScratch.Functions;

namespace DeepScratch.Tests.Functions;

/// <summary>The chapter 4 loss functions, with the book's worked numbers (inputs are float32, so 6 decimals agree).</summary>
public class LossesTests
{
    private static readonly Tensor T = Tensor.FromValues(0, 0, 1, 0, 0, 0, 0, 0, 0, 0); // one-hot: class 2
    private static readonly Tensor Y2 = Tensor.FromValues(0.1f, 0.05f, 0.6f, 0.0f, 0.05f, 0.1f, 0.0f, 0.1f, 0.0f, 0.0f);
    private static readonly Tensor Y7 = Tensor.FromValues(0.1f, 0.05f, 0.1f, 0.0f, 0.05f, 0.1f, 0.0f, 0.6f, 0.0f, 0.0f);

    [Fact]
    public void Sum_squared_error_matches_the_book()
    {
        Assert.Equal(0.09750000000000003, Losses.SumSquaredError(Y2, T), 6);
        Assert.Equal(0.5975, Losses.SumSquaredError(Y7, T), 6);
    }

    [Fact]
    public void Cross_entropy_error_matches_the_book()
    {
        Assert.Equal(0.510825457099338, Losses.CrossEntropyError(Y2, T), 6);
        Assert.Equal(2.302584092994546, Losses.CrossEntropyError(Y7, T), 6);
    }

    [Fact]
    public void Cross_entropy_error_takes_a_class_index_for_one_example()
    {
        var index = Tensor.Scalar(2f); // a scalar label, shape ()
        Assert.Equal(Losses.CrossEntropyError(Y2, T), Losses.CrossEntropyError(Y2, index), 12);
        Assert.Equal(Losses.CrossEntropyError(Y7, T), Losses.CrossEntropyError(Y7, Tensor.FromValues(2)), 12);
    }

    [Fact]
    public void Cross_entropy_error_of_a_batch_is_the_mean_over_examples_for_one_hot_and_index_labels()
    {
        var y = new Tensor([.. Y2.ToArray(), .. Y7.ToArray()], 2, 10);
        var oneHot = new Tensor([.. T.ToArray(), .. T.ToArray()], 2, 10);
        double expected = (0.510825457099338 + 2.302584092994546) / 2;

        Assert.Equal(expected, Losses.CrossEntropyError(y, oneHot), 6);
        Assert.Equal(expected, Losses.CrossEntropyError(y, Tensor.FromValues(2, 2)), 6);
    }

    [Fact]
    public void Sum_squared_error_of_a_batch_is_summed_as_in_the_book()
    {
        var y = new Tensor([.. Y2.ToArray(), .. Y7.ToArray()], 2, 10);
        var t = new Tensor([.. T.ToArray(), .. T.ToArray()], 2, 10);
        Assert.Equal(0.0975 + 0.5975, Losses.SumSquaredError(y, t), 6);
    }

    [Fact]
    public void Bad_labels_are_refused_with_a_message_naming_the_problem()
    {
        var y = Tensor.Zeros(2, 10);
        var outOfRange = Assert.Throws<ArgumentException>(() => Losses.CrossEntropyError(y, Tensor.FromValues(1, 10)));
        Assert.Contains("[0, 10)", outOfRange.Message);
        var fractional = Assert.Throws<ArgumentException>(() => Losses.CrossEntropyError(y, Tensor.FromValues(1.5f, 2)));
        Assert.Contains("1.5", fractional.Message);
        var wrongShape = Assert.Throws<ArgumentException>(() => Losses.CrossEntropyError(y, Tensor.Zeros(3)));
        Assert.Contains("(2, 10)", wrongShape.Message);
        Assert.Contains("(3,)", wrongShape.Message);
        Assert.Throws<ArgumentException>(() => Losses.SumSquaredError(y, Tensor.Zeros(10, 2)));
    }
}
