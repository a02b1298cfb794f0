using DeepScratch.Layers;

namespace DeepScratch.Tests.Layers;

/// <summary>Dropout: a random mask in training, the book's x·(1 − ratio) at inference.</summary>
public class DropoutTests
{
    [Fact]
    public void Inference_scales_every_input_by_one_minus_the_ratio_exactly()
    {
        var x = GradientCheck.Random([3, 7], new Random(1), 5);
        var y = new Dropout(0.3, new Random(2)).Forward(x, train: false);

        var expected = x.ToArray().Select(v => v * (float)(1 - 0.3)).ToArray();
        Assert.Equal(expected, y.ToArray());
    }

    [Fact]
    public void Training_keeps_or_erases_each_input_and_erases_about_the_ratio()
    {
        var x = GradientCheck.AwayFromZero([100, 100], new Random(3), 0.5, 1);
        var y = new Dropout(0.3, new Random(4)).Forward(x, train: true);

        int erased = 0;
        for (int i = 0; i < x.Length; i++)
        {
            Assert.True(y.Span[i] == 0f || y.Span[i] == x.Span[i], $"element {i} is neither kept nor erased");
            erased += y.Span[i] == 0f ? 1 : 0;
        }

        Assert.InRange(erased / 10000.0, 0.28, 0.32);
    }

    [Fact]
    public void Backward_uses_the_mask_of_the_last_forward()
    {
        var dropout = new Dropout(0.5, new Random(5));
        var x = GradientCheck.AwayFromZero([10, 10], new Random(6), 0.5, 1);
        var y = dropout.Forward(x, train: true);
        var ones = Tensor.Zeros(10, 10);
        ones.Span.Fill(1f);

        var dx = dropout.Backward(ones);

        for (int i = 0; i < x.Length; i++)
        {
            Assert.Equal(y.Span[i] == 0f ? 0f : 1f, dx.Span[i]);
        }
    }

    [Fact]
    public void Masks_repeat_for_the_same_seed_and_backward_matches_the_numerical_gradient()
    {
        var x = GradientCheck.Random([4, 6], new Random(7), 1);
        Assert.Equal(
            new Dropout(0.5, new Random(8)).Forward(x, true).ToArray(),
            new Dropout(0.5, new Random(8)).Forward(x, true).ToArray());

        // A fresh layer with the same seed per evaluation draws the same mask every time, so f is deterministic.
        GradientCheck.AssertLayer(() => new Dropout(0.5, new Random(8)), x);
    }

    [Fact]
    public void Backward_after_an_inference_forward_and_bad_ratios_are_refused()
    {
        var dropout = new Dropout(0.5, new Random(1));
        dropout.Forward(Tensor.Zeros(2, 2), train: false);
        Assert.Throws<InvalidOperationException>(() => dropout.Backward(Tensor.Zeros(2, 2)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(1.0, new Random(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(-0.1, new Random(1)));
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void The_one_ratio_check_refuses_what_is_not_in_zero_to_one(double ratio)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Dropout.CheckRatio(ratio));
        Assert.StartsWith("The dropout ratio is the fraction of neurons erased and must be at least 0 and below 1; got ", e.Message);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(0.999)]
    public void The_one_ratio_check_returns_a_valid_ratio(double ratio) => Assert.Equal(ratio, Dropout.CheckRatio(ratio));

    [Fact]
    public void A_net_without_hidden_layers_still_refuses_a_bad_ratio()
    {
        // No Dropout layer is built without hidden layers, so the network must check the ratio itself.
        Assert.Throws<ArgumentOutOfRangeException>(() => new DeepScratch.Models.MultiLayerNetExtend(4, [], 2, useDropout: true, dropoutRatio: 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DeepScratch.Models.MultiLayerNetExtend(4, [3], 2, useDropout: true, dropoutRatio: -0.5));
    }
}
