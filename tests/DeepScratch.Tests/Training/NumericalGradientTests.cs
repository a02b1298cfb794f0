using DeepScratch.Training;

namespace DeepScratch.Tests.Training;

/// <summary>The chapter 4 numerical gradient on the book's function f(x0, x1) = x0² + x1².</summary>
public class NumericalGradientTests
{
    [Theory]
    [InlineData(3f, 4f, 6f, 8f)]
    [InlineData(0f, 2f, 0f, 4f)]
    [InlineData(3f, 0f, 6f, 0f)]
    public void Gradient_of_the_sum_of_squares_matches_the_book(float x0, float x1, float d0, float d1)
    {
        var x = Tensor.FromValues(x0, x1);
        double F() => (double)x[0] * x[0] + (double)x[1] * x[1];

        var grad = NumericalGradient.Compute(F, x);

        Assert.Equal(d0, grad[0], 4);
        Assert.Equal(d1, grad[1], 4);
        Assert.Equal([x0, x1], x.ToArray()); // x restored exactly
    }

    [Fact]
    public void Gradient_has_the_shape_of_x_and_restores_x_even_when_f_throws()
    {
        var x = Tensor.FromRows([1, 2, 3], [4, 5, 6]);
        var grad = NumericalGradient.Compute(() => x.Sum(), x, 1e-2);
        Assert.Equal([2, 3], grad.Shape.ToArray());
        Assert.All(grad.ToArray(), g => Assert.Equal(1f, g, 4));

        Assert.Throws<InvalidOperationException>(() => NumericalGradient.Compute(() => throw new InvalidOperationException(), x));
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], x.ToArray());
    }

    [Fact]
    public void A_step_too_small_for_float32_is_refused()
    {
        var x = Tensor.FromValues(1e6f);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => NumericalGradient.Compute(() => x[0], x, 1e-4));
        Assert.Contains("too small", e.Message);
    }
}
