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

        // Independent oracle: the softmax and the book's cross-entropy (-sum t log(y + 1e-7) / N) in plain double.
        var y = ReferenceSoftmax(Scores);
        double expectedLoss = -(Math.Log(y[0][2] + 1e-7) + Math.Log(y[1][0] + 1e-7)) / 2;
        Assert.Equal(expectedLoss, loss, 6);
        AssertWithinUlps(y.SelectMany(r => r).ToArray(), layer.Y!.ToArray(), 4);
    }

    [Fact]
    public void A_batch_refused_for_a_bad_label_leaves_the_previous_batch_and_its_gradient_intact()
    {
        var layer = new SoftmaxWithLoss();
        layer.Forward(Scores, Tensor.FromValues(2, 0));
        var before = layer.Backward().ToArray();

        // Label 1 is out of range: the first label (1) must not overwrite the kept labels (2, 0) before the refusal.
        Assert.Throws<ArgumentException>(() => layer.Forward(Scores, Tensor.FromValues(1, 7)));

        // Oracle: (softmax − one-hot(2, 0)) / 2 in plain double.
        var y = ReferenceSoftmax(Scores);
        double[] expected = [y[0][0] / 2, y[0][1] / 2, (y[0][2] - 1) / 2, (y[1][0] - 1) / 2, y[1][1] / 2, y[1][2] / 2];
        var after = layer.Backward().ToArray();
        Assert.Equal(before, after);
        Assert.Equal(expected, after.Select(v => (double)v).ToArray(), (a, b) => Math.Abs(a - b) < 1e-6);
    }

    [Fact]
    public void Softmax_with_loss_matches_a_float64_reference_on_scores_large_enough_to_overflow_a_naive_exp()
    {
        // Computed in plain Python (float64), independently of the layer:
        //   X = [[1000., 1001., 1002.], [-5., 90., 89.]]; t = [1, 2]
        //   Y = [[math.exp(v - max(r)) / sum(math.exp(w - max(r)) for w in r) for v in r] for r in X]
        //   -(math.log(Y[0][1] + 1e-7) + math.log(Y[1][2] + 1e-7)) / 2  ->  1.360433435759223
        //   Y -> [[0.09003057, 0.24472847, 0.66524096], [4.04e-42 (0 in float32), 0.73105858, 0.26894142]]
        var layer = new SoftmaxWithLoss();
        double loss = layer.Forward(Tensor.FromRows([1000f, 1001f, 1002f], [-5f, 90f, 89f]), Tensor.FromValues(1, 2));

        Assert.Equal(1.360433435759223, loss, 5);
        float[] expected = [0.09003057f, 0.24472847f, 0.66524096f, 0f, 0.73105858f, 0.26894142f];
        Assert.Equal(expected, layer.Y!.ToArray(), (a, b) => Math.Abs(a - b) < 1e-6f);
    }

    [Fact]
    public void Softmax_with_loss_gradient_is_y_minus_t_over_N_for_one_hot_and_index_labels()
    {
        var oneHot = new SoftmaxWithLoss();
        var index = new SoftmaxWithLoss();
        double lossOneHot = oneHot.Forward(Scores, Tensor.FromRows([0, 0, 1], [1, 0, 0]));
        double lossIndex = index.Forward(Scores, Tensor.FromValues(2, 0));

        var y = ReferenceSoftmax(Scores).SelectMany(r => r).ToArray();
        float[] expected = [(float)(y[0] / 2), (float)(y[1] / 2), (float)((y[2] - 1) / 2), (float)((y[3] - 1) / 2), (float)(y[4] / 2), (float)(y[5] / 2)];
        Assert.Equal(lossOneHot, lossIndex, 12);
        Assert.Equal(expected, oneHot.Backward().ToArray(), (a, b) => Math.Abs(a - b) < 1e-7f);
        Assert.Equal(expected, index.Backward().ToArray(), (a, b) => Math.Abs(a - b) < 1e-7f);
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
        double loss = layer.Forward(x, Tensor.Scalar(2f));
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

        Assert.Equal(27.5 / 3, loss, 12); // 0.5·(0² + 1² + 2² + 3² + 4² + 5²) = 27.5 over 3 examples, by hand
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
        var t = Tensor.Zeros(n, 1);
        for (int i = 0; i < n; i++)
        {
            double noise = 0.1 * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            t[i, 0] = (float)(2 * x[i, 0] - 3 * x[i, 1] + 1 + noise);
        }

        var affine = new Affine(new Parameter("W1", WeightInit.Normal(random, 0.01, 2, 1)), new Parameter("b1", Tensor.Zeros(1)));
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

    /// <summary>The softmax of each row in plain double precision (max subtracted first): the oracle, not the code under test.</summary>
    internal static double[][] ReferenceSoftmax(Tensor x)
    {
        int cols = x.Dim(-1);
        var values = x.ToArray();
        var rows = new double[values.Length / cols][];
        for (int r = 0; r < rows.Length; r++)
        {
            double max = double.NegativeInfinity;
            for (int j = 0; j < cols; j++)
            {
                max = Math.Max(max, values[r * cols + j]);
            }

            var row = new double[cols];
            double sum = 0;
            for (int j = 0; j < cols; j++)
            {
                row[j] = Math.Exp(values[r * cols + j] - max);
                sum += row[j];
            }

            for (int j = 0; j < cols; j++)
            {
                row[j] /= sum;
            }

            rows[r] = row;
        }

        return rows;
    }

    private static void AssertWithinUlps(double[] expected, float[] actual, long ulps)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            long distance = Kernels.KernelTestSupport.UlpDistance((float)expected[i], actual[i]);
            Assert.True(distance <= ulps, $"element {i}: expected {expected[i]:R}, got {actual[i]:R} ({distance} ulp, allowed {ulps})");
        }
    }

    internal static Tensor OneHot(int[] labels, int classes)
    {
        var t = Tensor.Zeros(labels.Length, classes);
        for (int i = 0; i < labels.Length; i++)
        {
            t[i, labels[i]] = 1f;
        }

        return t;
    }
}
