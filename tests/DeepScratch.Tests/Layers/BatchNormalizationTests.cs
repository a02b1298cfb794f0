using DeepScratch.Layers;

namespace DeepScratch.Tests.Layers;

/// <summary>Batch Normalization: batch statistics in training, running statistics at inference, the book's backward.</summary>
public class BatchNormalizationTests
{
    private static BatchNormalization Make(int features, int seed = 0, bool identity = true)
    {
        var random = new Random(seed);
        var gamma = identity ? Filled(features, 1f) : GradientCheck.Random([features], random, 2);
        var beta = identity ? Tensor.Zeros(features) : GradientCheck.Random([features], random, 1);
        return new BatchNormalization(new Parameter("gamma1", gamma), new Parameter("beta1", beta));
    }

    private static Tensor Filled(int n, float value)
    {
        var t = Tensor.Zeros(n);
        t.Span.Fill(value);
        return t;
    }

    [Fact]
    public void Training_output_has_zero_mean_and_unit_variance_per_feature()
    {
        var x = GradientCheck.Random([50, 4], new Random(1), 10);
        var y = Make(4).Forward(x, train: true);

        for (int j = 0; j < 4; j++)
        {
            var column = Enumerable.Range(0, 50).Select(i => (double)y[i, j]).ToArray();
            double mean = column.Average();
            Assert.Equal(0.0, mean, 5);
            Assert.Equal(1.0, column.Average(v => (v - mean) * (v - mean)), 4);
        }
    }

    [Fact]
    public void Training_output_is_the_books_formula_with_epsilon_in_the_square_root()
    {
        // By hand, the book's (x − μ) / sqrt(σ² + 10e-7): column 0 is [1, 3] (μ 2, σ² 1) → ±1/sqrt(1.000001)
        // = ±0.9999995, one float apart from ±1; column 1 is constant (σ² 0) → 0 / sqrt(1e-6) = 0, not 0/0.
        var y = Make(2).Forward(Tensor.FromRows([1f, 5f], [3f, 5f]), train: true);

        float expected = (float)(1 / Math.Sqrt(1 + 10e-7));
        Assert.Equal([-expected, 0f, expected, 0f], y.ToArray(), (a, b) => MathF.Abs(a - b) <= 1.2e-7f);
        Assert.True(1f - expected > 4e-7f); // the tolerance still tells epsilon's effect from none
    }

    [Fact]
    public void Running_statistics_move_by_momentum_towards_each_training_batch()
    {
        var bn = Make(2);
        var x = Tensor.FromRows([1, 10], [3, 10], [5, 16]); // means (3, 12), variances (8/3, 8)

        bn.Forward(x, train: true);
        Assert.Equal([0.3f, 1.2f], bn.RunningMean.ToArray(), (a, b) => Math.Abs(a - b) < 1e-6);
        Assert.Equal([0.8f / 3, 0.8f], bn.RunningVar.ToArray(), (a, b) => Math.Abs(a - b) < 1e-6);

        bn.Forward(x, train: true);
        Assert.Equal(0.9 * 0.3 + 0.1 * 3, bn.RunningMean[0], 5);

        bn.Forward(x, train: false); // inference leaves them alone
        Assert.Equal(0.9 * 0.3 + 0.1 * 3, bn.RunningMean[0], 5);
    }

    [Fact]
    public void Inference_normalises_with_the_running_statistics()
    {
        var bn = Make(2, seed: 3, identity: false);
        var random = new Random(4);
        for (int i = 0; i < 100; i++)
        {
            bn.Forward(GradientCheck.Random([8, 2], random, 3), train: true);
        }

        var x = Tensor.FromRows([0.5f, -1], [2, 0.25f]);
        var y = bn.Forward(x, train: false);

        for (int i = 0; i < 2; i++)
        {
            for (int j = 0; j < 2; j++)
            {
                double xn = (x[i, j] - bn.RunningMean[j]) / Math.Sqrt(bn.RunningVar[j] + 10e-7);
                Assert.Equal(bn.Gamma.Value[j] * xn + bn.Beta.Value[j], y[i, j], 4);
            }
        }

        // A batch of one is normalised the same at inference whatever else is in the batch.
        Assert.Equal(y.Row(0).ToArray(), bn.Forward(x.Rows(0, 1), train: false).ToArray());
    }

    [Fact]
    public void Backward_matches_the_numerical_gradient_for_x_gamma_and_beta()
    {
        var bn = Make(5, seed: 5, identity: false);
        var x = GradientCheck.Random([6, 5], new Random(6), 2);
        GradientCheck.AssertLayer(() => bn, x, h: 1e-2);
    }

    [Fact]
    public void Image_batches_are_normalised_as_N_by_CHW_and_keep_their_shape()
    {
        var bn = Make(2 * 3 * 3, seed: 7, identity: false);
        var x = GradientCheck.Random([4, 2, 3, 3], new Random(8), 2);

        var y = bn.Forward(x, train: true);
        var flat = Make(18, seed: 7, identity: false).Forward(x.Reshape(4, 18), train: true);

        Assert.Equal([4, 2, 3, 3], y.Shape.ToArray());
        Assert.Equal(flat.ToArray(), y.ToArray());
        Assert.Equal([4, 2, 3, 3], bn.Backward(y).Shape.ToArray());
        GradientCheck.AssertLayer(() => bn, x, h: 1e-2);
    }

    [Fact]
    public void Wrong_feature_counts_and_backward_without_training_are_refused()
    {
        var bn = Make(3);
        var e = Assert.Throws<ArgumentException>(() => bn.Forward(Tensor.Zeros(2, 4), true));
        Assert.Contains("gamma1", e.Message);
        bn.Forward(Tensor.Zeros(2, 3), train: false);
        Assert.Throws<InvalidOperationException>(() => bn.Backward(Tensor.Zeros(2, 3)));
    }

    [Fact]
    public void Backward_after_an_inference_forward_is_refused_even_after_earlier_training()
    {
        var bn = Make(3);
        bn.Forward(Tensor.FromRows([1, 2, 3], [4, 5, 7]), train: true);
        bn.Forward(Tensor.Zeros(5, 3), train: false);
        Assert.Throws<InvalidOperationException>(() => bn.Backward(Tensor.Zeros(5, 3)));
    }
}
