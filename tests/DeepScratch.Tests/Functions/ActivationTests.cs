using static DeepScratch.Functions.Activations;

namespace DeepScratch.Tests.Functions;

public class ActivationTests
{
    [Fact]
    public void Softmax_reproduces_the_book_values()
    {
        var y = Softmax(Tensor.FromValues(0.3f, 2.9f, 4.0f));
        AssertRelative([0.01821127f, 0.24519181f, 0.73659691f], y.ToArray(), 1e-5f);
    }

    [Fact]
    public void Softmax_of_huge_inputs_is_finite_because_it_subtracts_the_maximum()
    {
        // Without the max subtraction exp(1010) overflows to infinity and the result is NaN.
        var y = Softmax(Tensor.FromValues(1010, 1000, 990)).ToArray();
        Assert.All(y, v => Assert.True(float.IsFinite(v)));
        AssertRelative([9.99954600e-01f, 4.53978686e-05f, 2.06106005e-09f], y, 1e-5f);
    }

    [Fact]
    public void Softmax_outputs_lie_in_0_1_sum_to_1_and_keep_the_order()
    {
        var random = new Random(3);
        var data = new float[50 * 10];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (float)(random.NextDouble() * 40 - 20);
        }

        var x = new Tensor(data, 50, 10);
        var y = Softmax(x);
        Assert.Equal([50, 10], y.Shape.ToArray());
        for (int r = 0; r < 50; r++)
        {
            var row = y.Row(r).ToArray();
            Assert.All(row, v => Assert.InRange(v, 0f, 1f));
            Assert.Equal(1.0, row.Sum(v => (double)v), 5);
            var input = x.Row(r).ToArray();
            for (int i = 0; i < 10; i++)
            {
                for (int j = 0; j < 10; j++)
                {
                    if (input[i] < input[j])
                    {
                        Assert.True(row[i] <= row[j], $"row {r}: order of {i} and {j} not preserved");
                    }
                }
            }

            Assert.Equal(Array.IndexOf(input, input.Max()), Array.IndexOf(row, row.Max()));
        }
    }

    [Fact]
    public void Softmax_of_a_batch_equals_softmax_of_each_row()
    {
        var batch = Tensor.FromRows([0.3f, 2.9f, 4.0f], [1010, 1000, 990]);
        var y = Softmax(batch);
        Assert.Equal(Softmax(batch.Row(0)).ToArray(), y.Row(0).ToArray());
        Assert.Equal(Softmax(batch.Row(1)).ToArray(), y.Row(1).ToArray());
    }

    [Theory]
    [InlineData(3, 0f)]
    [InlineData(16, 0f)]
    [InlineData(17, 0f)]
    [InlineData(40, 0f)]
    [InlineData(100, 0f)]
    [InlineData(17, 1000f)]
    [InlineData(100, -1000f)]
    public void Softmax_of_rows_short_and_long_matches_a_double_precision_reference(int width, float offset)
    {
        // Rows up to 16 wide and longer ones take different code paths; both are held to the double formula, and
        // an offset of ±1000 overflows any exp that does not subtract the row's maximum first.
        var random = new Random(width);
        var rows = new float[3][];
        for (int r = 0; r < rows.Length; r++)
        {
            rows[r] = Enumerable.Range(0, width).Select(_ => offset + (float)(random.NextDouble() * 20 - 10)).ToArray();
        }

        var x = Tensor.FromRows(rows);
        var y = Softmax(x);

        DeepScratch.Tests.Kernels.ReferenceActivations.AssertActivationOf(
            x.Span, y.Span, rows.Length, width, width, DeepScratch.Kernels.Activation.Softmax, 4, $"width {width}, offset {offset}");
    }

    [Fact]
    public void Softmax_of_an_empty_axis_is_refused()
    {
        Assert.Throws<ArgumentException>(() => Softmax(Tensor.Zeros(2, 0)));
    }

    [Fact]
    public void Step_fires_only_above_zero()
    {
        Assert.Equal(new float[] { 0, 0, 1, 1 }, Step(Tensor.FromValues(-1, 0, 0.001f, 2)).ToArray());
    }

    [Fact]
    public void Sigmoid_matches_the_formula_and_saturates_without_overflow()
    {
        var x = Tensor.FromValues(-1, 1, 2, 0, -100, 100);
        var y = Sigmoid(x).ToArray();
        // The book: sigmoid([-1, 1, 2]) = [0.26894142, 0.73105858, 0.88079708].
        AssertRelative([0.26894142f, 0.73105858f, 0.88079708f, 0.5f], y[..4], 1e-6f);
        Assert.Equal(0f, y[4], 1e-30f);
        Assert.Equal(1f, y[5]);
        Assert.All(y, v => Assert.False(float.IsNaN(v)));
    }

    [Fact]
    public void Relu_zeroes_negatives_and_keeps_positives()
    {
        Assert.Equal(new float[] { 0, 0, 0.5f, 3 }, Relu(Tensor.FromValues(-2, 0, 0.5f, 3)).ToArray());
    }

    [Fact]
    public void Identity_returns_its_input_unchanged()
    {
        var x = Tensor.FromValues(0.3f, -2.9f, 4.0f);
        var y = Identity(x);
        Assert.Same(x, y);
        Assert.Equal(new float[] { 0.3f, -2.9f, 4.0f }, y.ToArray());
    }

    private static void AssertRelative(float[] expected, float[] actual, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= tolerance * MathF.Abs(expected[i]),
                $"element {i}: expected {expected[i]:R}, got {actual[i]:R}");
        }
    }
}
