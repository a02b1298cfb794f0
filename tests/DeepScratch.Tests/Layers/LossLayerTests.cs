using DeepScratch.Functions;
using DeepScratch.Layers;
using DeepScratch.Training;

namespace DeepScratch.Tests.Layers;

/// <summary>SoftmaxWithLoss and IdentityWithLoss: loss values, (y − t)/N gradients, and learning with them.</summary>
public class LossLayerTests
{
    private static readonly Tensor Scores = Tensor.FromRows([0.3f, 2.9f, 4.0f], [1.0f, -1.0f, 0.5f]);

    [Fact]
    public void Softmax_with_loss_returns_the_cross_entropy_of_the_softmax()
    {
        var layer = new SoftmaxWithLoss();
        var t = Tensor.FromRows([0, 0, 1], [1, 0, 0]);

        double loss = layer.Forward(Scores, t);

        Assert.Equal(Losses.CrossEntropyError(Activations.Softmax(Scores), t), loss, 6);
        Assert.Equal(Activations.Softmax(Scores).ToArray(), layer.Y!.ToArray());
    }

    [Fact]
    public void Softmax_with_loss_gradient_is_y_minus_t_over_N_for_one_hot_and_index_labels()
    {
        var oneHot = new SoftmaxWithLoss();
        var index = new SoftmaxWithLoss();
        double lossOneHot = oneHot.Forward(Scores, Tensor.FromRows([0, 0, 1], [1, 0, 0]));
        double lossIndex = index.Forward(Scores, Tensor.FromValues(2, 0));

        var y = Activations.Softmax(Scores).ToArray();
        float[] expected = [y[0] / 2, y[1] / 2, (y[2] - 1) / 2, (y[3] - 1) / 2, y[4] / 2, y[5] / 2];
        Assert.Equal(lossOneHot, lossIndex, 12);
        Assert.Equal(expected, oneHot.Backward().ToArray());
        Assert.Equal(expected, index.Backward().ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Softmax_with_loss_backward_matches_the_numerical_gradient(bool indexLabels)
    {
        var x = GradientCheck.Random([4, 5], new Random(3), 3);
        var t = indexLabels ? Tensor.FromValues(0, 4, 2, 2) : OneHot([0, 4, 2, 2], 5);
        var layer = new SoftmaxWithLoss();
        layer.Forward(x, t);
        var dx = layer.Backward();

        var numerical = NumericalGradient.Compute(() => layer.Forward(x, t), x, 1e-2);

        GradientCheck.AssertClose("dx", dx, numerical);
    }

    [Fact]
    public void Softmax_with_loss_takes_one_example_without_a_batch_axis()
    {
        var layer = new SoftmaxWithLoss();
        var x = Tensor.FromValues(0.3f, 2.9f, 4.0f);
        double loss = layer.Forward(x, new Tensor([2f]));
        var dx = layer.Backward();

        Assert.Equal(-Math.Log(0.73659691), loss, 5);
        Assert.Equal([3], dx.Shape.ToArray());
        Assert.Equal(0.73659691f - 1f, dx[2], 5);
    }

    [Fact]
    public void Identity_with_loss_is_the_sum_squared_error_per_example_and_its_gradient_is_y_minus_t_over_N()
    {
        var layer = new IdentityWithLoss();
        var y = Tensor.FromRows([1, 2], [3, 4], [5, 6]);
        var t = Tensor.FromRows([1, 1], [1, 1], [1, 1]);

        double loss = layer.Forward(y, t);
        var dx = layer.Backward();

        Assert.Equal(Losses.SumSquaredError(y, t) / 3, loss, 12);
        Assert.Equal([0f, 1 / 3f, 2 / 3f, 1f, 4 / 3f, 5 / 3f], dx.ToArray(), (a, b) => Math.Abs(a - b) < 1e-6f);
        Assert.Same(y, layer.Y);

        var x = GradientCheck.Random([4, 3], new Random(5), 2);
        var target = GradientCheck.Random([4, 3], new Random(6), 2);
        layer.Forward(x, target);
        GradientCheck.AssertClose("dx", layer.Backward(), NumericalGradient.Compute(() => layer.Forward(x, target), x, 1e-2));
    }

    [Fact]
    public void Affine_and_identity_with_loss_fit_a_noisy_linear_function_by_plain_SGD()
    {
        // y = 2·x1 − 3·x2 + 1 + noise (σ = 0.1), 200 examples, full-batch SGD with learning rate 0.1 for 300 steps.
        var random = new Random(42);
        const int n = 200;
        var x = GradientCheck.Random([n, 2], random, 1);
        var t = new Tensor(n, 1);
        for (int i = 0; i < n; i++)
        {
            double noise = 0.1 * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            t[i, 0] = (float)(2 * x[i, 0] - 3 * x[i, 1] + 1 + noise);
        }

        var affine = new Affine(new Parameter("W1", WeightInit.Normal(random, 0.01, 2, 1)), new Parameter("b1", new Tensor(1)));
        var loss = new IdentityWithLoss();
        for (int step = 0; step < 300; step++)
        {
            loss.Forward(affine.Forward(x, train: true), t);
            affine.Backward(loss.Backward());
            foreach (var p in affine.Parameters)
            {
                var value = p.Value.Span;
                var grad = p.Grad.Span;
                for (int i = 0; i < value.Length; i++)
                {
                    value[i] -= 0.1f * grad[i];
                }
            }
        }

        var prediction = affine.Forward(x, train: false);
        double mse = 0;
        for (int i = 0; i < n; i++)
        {
            mse += Math.Pow(prediction[i, 0] - t[i, 0], 2) / n;
        }

        Assert.True(mse < 0.02, $"mean squared error {mse} should be near the noise variance 0.01");
        Assert.Equal(2.0, affine.W.Value[0, 0], 1);
        Assert.Equal(-3.0, affine.W.Value[1, 0], 1);
        Assert.Equal(1.0, affine.B.Value[0], 1);
    }

    internal static Tensor OneHot(int[] labels, int classes)
    {
        var t = new Tensor(labels.Length, classes);
        for (int i = 0; i < labels.Length; i++)
        {
            t[i, labels[i]] = 1f;
        }

        return t;
    }
}
