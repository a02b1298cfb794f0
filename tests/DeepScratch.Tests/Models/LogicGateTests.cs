using DeepScratch.Models;

namespace DeepScratch.Tests.Models;

public class LogicGateTests
{
    [Theory]
    [InlineData(0, 0, 0, 1, 0, 0)]
    [InlineData(1, 0, 0, 1, 1, 1)]
    [InlineData(0, 1, 0, 1, 1, 1)]
    [InlineData(1, 1, 1, 0, 1, 0)]
    public void Gates_follow_their_truth_tables(int x1, int x2, int and, int nand, int or, int xor)
    {
        Assert.Equal(and, LogicGates.And(x1, x2));
        Assert.Equal(nand, LogicGates.Nand(x1, x2));
        Assert.Equal(or, LogicGates.Or(x1, x2));
        Assert.Equal(xor, LogicGates.Xor(x1, x2));
    }

    [Fact]
    public void A_perceptron_fires_when_weighted_sum_plus_bias_is_positive()
    {
        var p = new Perceptron([0.5f, 0.5f], -0.7f);
        Assert.Equal(0, p.Fire(0.5f, 0.5f)); // 0.5 - 0.7 < 0
        Assert.Equal(1, p.Fire(1f, 0.5f));   // 0.75 - 0.7 > 0
        Assert.Equal(-0.7f, p.Bias);
        Assert.Equal(new[] { 0.5f, 0.5f }, p.Weights);
    }

    [Fact]
    public void A_perceptron_refuses_the_wrong_number_of_inputs()
    {
        var e = Assert.Throws<ArgumentException>(() => new Perceptron([1f, 1f], 0f).Fire(1f));
        Assert.Contains("2 inputs", e.Message);
    }

    [Fact]
    public void All_lists_the_four_gates_in_book_order()
    {
        Assert.Equal(["AND", "NAND", "OR", "XOR"], LogicGates.All.Select(g => g.Name));
    }
}
