using DeepScratch.Layers;

namespace DeepScratch.Tests.Layers;

/// <summary>The Affine layer: x·W + b forward, xᵀ·dout, Σdout and dout·Wᵀ backward.</summary>
public class AffineTests
{
    private static Affine Make(int inputs, int outputs, int seed)
    {
        var random = new Random(seed);
        return new Affine(
            new Parameter("W1", GradientCheck.Random([inputs, outputs], random, 1)),
            new Parameter("b1", GradientCheck.Random([outputs], random, 1)));
    }

    [Fact]
    public void Forward_is_x_dot_W_plus_b()
    {
        var affine = new Affine(new Parameter("W1", Tensor.FromRows([1, 2], [3, 4], [5, 6])), new Parameter("b1", Tensor.FromValues(10, 20)));
        var y = affine.Forward(Tensor.FromRows([1, 0, 1], [0, 1, 0]), train: true);
        Assert.Equal([16f, 28f, 13f, 24f], y.ToArray());
    }

    [Fact]
    public void Backward_matches_the_numerical_gradient_for_a_batch()
    {
        var affine = Make(6, 4, seed: 1);
        var x = GradientCheck.Random([3, 6], new Random(2), 1);
        GradientCheck.AssertLayer(() => affine, x);
    }

    [Fact]
    public void Image_batches_are_flattened_and_dx_gets_their_shape_back()
    {
        var affine = Make(2 * 2 * 3, 5, seed: 3);
        var x = GradientCheck.Random([4, 2, 2, 3], new Random(4), 1);

        var y = affine.Forward(x, train: true);
        var dx = affine.Backward(Tensor.Zeros(4, 5));

        Assert.Equal([4, 5], y.Shape.ToArray());
        Assert.Equal([4, 2, 2, 3], dx.Shape.ToArray());
        GradientCheck.AssertLayer(() => affine, x);
    }

    [Fact]
    public void Gradients_are_overwritten_by_each_backward_not_accumulated()
    {
        var affine = Make(3, 2, seed: 5);
        var x = GradientCheck.Random([2, 3], new Random(6), 1);
        var dout = GradientCheck.Random([2, 2], new Random(7), 1);
        affine.Forward(x, true);
        affine.Backward(dout);
        var first = affine.W.Grad.ToArray();
        affine.Forward(x, true);
        affine.Backward(dout);
        Assert.Equal(first, affine.W.Grad.ToArray());
    }

    [Fact]
    public void Wrong_input_sizes_and_shapes_are_refused_with_the_layer_name()
    {
        var affine = Make(6, 4, seed: 1);
        var e = Assert.Throws<ArgumentException>(() => affine.Forward(Tensor.Zeros(3, 5), true));
        Assert.Contains("W1", e.Message);
        Assert.Contains("(3, 5)", e.Message);
        Assert.Throws<ArgumentException>(() => affine.Forward(Tensor.Zeros(6), true)); // no batch axis
        Assert.Throws<InvalidOperationException>(() => Make(2, 2, 1).Backward(Tensor.Zeros(1, 2)));
        Assert.Throws<ArgumentException>(() => new Affine(new Parameter("W", Tensor.Zeros(3, 2)), new Parameter("b", Tensor.Zeros(3))));
    }
}
