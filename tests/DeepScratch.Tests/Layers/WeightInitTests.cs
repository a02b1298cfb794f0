using DeepScratch.Layers;

namespace DeepScratch.Tests.Layers;

/// <summary>WeightInit: the one parser of init specs (schemes by their two names, or a fixed standard deviation).</summary>
public class WeightInitTests
{
    [Theory]
    [InlineData("he", 50, 0.2)]          // √(2/50)
    [InlineData("relu", 50, 0.2)]        // the book's name for He
    [InlineData(" HE ", 8, 0.5)]         // √(2/8)
    [InlineData("xavier", 4, 0.5)]       // √(1/4)
    [InlineData("sigmoid", 100, 0.1)]    // the book's name for Xavier, √(1/100)
    [InlineData("0.01", 784, 0.01)]
    [InlineData("2.5e-2", 1, 0.025)]
    public void Std_gives_the_scheme_or_the_number(string init, int fanIn, double expected) =>
        Assert.Equal(expected, WeightInit.Std(init, fanIn), 15);

    [Theory]
    [InlineData("he")]
    [InlineData("relu")]
    [InlineData("Xavier")]
    [InlineData("sigmoid")]
    public void A_scheme_fixes_no_standard_deviation(string init) => Assert.Null(WeightInit.FixedStd(init));

    [Fact]
    public void A_number_is_the_standard_deviation() => Assert.Equal(0.01, WeightInit.FixedStd("0.01"));

    [Theory]
    [InlineData("gauss")]
    [InlineData("0")]
    [InlineData("-0.01")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("1e400")]
    [InlineData("")]
    public void Anything_else_is_refused_with_the_choices(string init)
    {
        var e = Assert.Throws<ArgumentException>(() => WeightInit.FixedStd(init));
        Assert.Equal($"The weight initialisation must be he (the book's relu), xavier (sigmoid) or a positive standard deviation such as 0.01; got '{init}'. (Parameter 'init')", e.Message);
        Assert.Throws<ArgumentException>(() => WeightInit.Std(init, 10));
    }
}
