using DeepScratch.Layers;

namespace DeepScratch.Tests.Layers;

/// <summary>The book's scalar nodes <c>MulLayer</c> and <c>AddLayer</c> (ch. 5.4), against hand-computed derivatives.</summary>
public sealed class ComputationalGraphLayerTests
{
    [Fact]
    public void MulLayer_passes_back_the_other_input()
    {
        var mul = new MulLayer();
        Assert.Equal(0.0, mul.Backward(1).Dx); // nothing remembered before a forward pass
        Assert.Equal(12.0, mul.Forward(3, 4));
        // z = x·y: dz/dx = y = 4, dz/dy = x = 3, each times the upstream 2.5.
        Assert.Equal((10.0, 7.5), mul.Backward(2.5));
        Assert.Equal(-6.0, mul.Forward(-2, 3));
        Assert.Equal((3.0, -2.0), mul.Backward(1)); // the latest inputs
    }

    [Fact]
    public void AddLayer_passes_the_upstream_derivative_to_both_inputs()
    {
        var add = new AddLayer();
        Assert.Equal(5.5, add.Forward(2, 3.5));
        Assert.Equal((1.1, 1.1), add.Backward(1.1));
    }

    [Fact]
    public void The_books_apple_and_orange_graph_gives_the_books_derivatives()
    {
        // Section 5.4.2: price = (100·2 + 150·3)·1.1 = 715; by hand, d/dapple = 2·1.1, d/dapple_num = 100·1.1,
        // d/dorange = 3·1.1, d/dorange_num = 150·1.1, d/dtax = 650.
        MulLayer mulApple = new(), mulOrange = new(), mulTax = new();
        var add = new AddLayer();
        double price = mulTax.Forward(add.Forward(mulApple.Forward(100, 2), mulOrange.Forward(150, 3)), 1.1);
        Assert.Equal(715, price, 1e-9);
        var (dAll, dTax) = mulTax.Backward(1);
        var (dApplePrice, dOrangePrice) = add.Backward(dAll);
        var (dApple, dAppleNum) = mulApple.Backward(dApplePrice);
        var (dOrange, dOrangeNum) = mulOrange.Backward(dOrangePrice);
        Assert.Equal(650, dTax, 1e-9);
        Assert.Equal(2.2, dApple, 1e-12);
        Assert.Equal(110, dAppleNum, 1e-9);
        Assert.Equal(3.3, dOrange, 1e-12);
        Assert.Equal(165, dOrangeNum, 1e-9);
    }
}
