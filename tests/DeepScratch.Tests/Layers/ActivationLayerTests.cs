using DeepScratch.Layers;

namespace DeepScratch.Tests.Layers;

/// <summary>The Relu and Sigmoid layers of chapter 5.</summary>
public class ActivationLayerTests
{
    [Fact]
    public void Relu_passes_the_gradient_only_where_the_input_was_positive()
    {
        var relu = new Relu();
        var y = relu.Forward(Tensor.FromRows([1.0f, -0.5f], [-2.0f, 3.0f]), train: true);
        var dx = relu.Backward(Tensor.FromRows([10, 20], [30, 40]));

        Assert.Equal([1f, 0f, 0f, 3f], y.ToArray());
        Assert.Equal([10f, 0f, 0f, 40f], dx.ToArray());
    }

    [Fact]
    public void Relu_backward_matches_the_numerical_gradient()
    {
        // Inputs at least 0.1 from the kink, so nudges of h = 1e-3 never cross it.
        var x = GradientCheck.AwayFromZero([4, 5], new Random(1), 0.1, 2);
        var relu = new Relu();
        GradientCheck.AssertLayer(() => relu, x);
    }

    [Fact]
    public void Sigmoid_backward_is_out_times_one_minus_out_and_matches_the_numerical_gradient()
    {
        var sigmoid = new Sigmoid();
        var y = sigmoid.Forward(Tensor.FromValues(0f), train: true);
        Assert.Equal(0.5f, y[0]);
        Assert.Equal(0.25f, sigmoid.Backward(Tensor.FromValues(1f))[0], 6);

        var x = GradientCheck.Random([4, 5], new Random(2), 3);
        GradientCheck.AssertLayer(() => sigmoid, x, h: 1e-2);
    }

    [Fact]
    public void Backward_before_forward_is_refused()
    {
        Assert.Throws<InvalidOperationException>(() => new Relu().Backward(Tensor.Zeros(1, 1)));
        Assert.Throws<InvalidOperationException>(() => new Sigmoid().Backward(Tensor.Zeros(1, 1)));
    }
}
