using DeepScratch.Layers;
using DeepScratch.Training.Optimizers;

namespace DeepScratch.Tests.Layers;

/// <summary>
/// Affine packs W once per change: forwards and backwards between updates reuse the pack, and every optimizer's
/// update (or a load, or a numerical-gradient probe) makes the next product use the new W. The oracle is a plain
/// double loop over the current W, so a stale pack turns these red.
/// </summary>
public class PackedWeightTests
{
    private static (Affine Layer, Tensor X) Setup(int seed)
    {
        var random = new Random(seed);
        var layer = new Affine(new Parameter("W1", GradientCheck.Random([7, 20], random, 1), weightDecay: true), new Parameter("b1", GradientCheck.Random([20], random, 1)));
        return (layer, GradientCheck.Random([9, 7], random, 1));
    }

    /// <summary>x·W + b by a plain loop in double.</summary>
    private static double[] Reference(Tensor x, Affine layer)
    {
        int n = x.Dim(0), d = layer.W.Value.Dim(0), m = layer.W.Value.Dim(1);
        var y = new double[n * m];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < m; j++)
            {
                double sum = layer.B.Value[j];
                for (int p = 0; p < d; p++)
                {
                    sum += (double)x[i, p] * layer.W.Value[p, j];
                }

                y[i * m + j] = sum;
            }
        }

        return y;
    }

    /// <summary>dout·Wᵀ by a plain loop in double.</summary>
    private static double[] ReferenceDx(Tensor dout, Affine layer)
    {
        int n = dout.Dim(0), d = layer.W.Value.Dim(0), m = layer.W.Value.Dim(1);
        var dx = new double[n * d];
        for (int i = 0; i < n; i++)
        {
            for (int p = 0; p < d; p++)
            {
                double sum = 0;
                for (int j = 0; j < m; j++)
                {
                    sum += (double)dout[i, j] * layer.W.Value[p, j];
                }

                dx[i * d + p] = sum;
            }
        }

        return dx;
    }

    private static void AssertClose(double[] expected, Tensor actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        var a = actual.Span;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - a[i]) <= 1e-4 * (1 + Math.Abs(expected[i])), $"element {i}: expected {expected[i]}, got {a[i]}");
        }
    }

    public static TheoryData<string> Optimizers => [.. OptimizerFactory.Names];

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Every_optimizer_update_makes_forward_and_backward_use_the_new_weights(string name)
    {
        var (layer, x) = Setup(11);
        var optimizer = OptimizerFactory.Create(name, 0.5); // a large step, so an old W would be far off
        var dout = GradientCheck.Random([9, 20], new Random(5), 1);
        for (int step = 0; step < 3; step++)
        {
            AssertClose(Reference(x, layer), layer.Forward(x, train: true));
            AssertClose(ReferenceDx(dout, layer), layer.Backward(dout));
            optimizer.Update(layer.Parameters);
        }

        AssertClose(Reference(x, layer), layer.Forward(x, train: false));
    }

    [Fact]
    public void Weights_are_packed_once_per_update_for_each_product()
    {
        var (layer, x) = Setup(3);
        var dout = GradientCheck.Random([9, 20], new Random(6), 1);
        for (int i = 0; i < 5; i++)
        {
            layer.Forward(x, train: false);
        }

        layer.Backward(dout);
        layer.Backward(dout);
        Assert.Equal((1, 1), layer.PackCounts);

        new Adam().Update(layer.Parameters);
        layer.Forward(x, train: true);
        layer.Forward(x, train: true);
        layer.Backward(dout);
        Assert.Equal((2, 2), layer.PackCounts);
    }

    [Fact]
    public void A_write_announced_by_MarkChanged_is_seen_and_numerical_probes_announce_theirs()
    {
        var (layer, x) = Setup(4);
        layer.Forward(x, train: false);
        layer.W.Value.Span.Fill(0.25f);
        layer.W.MarkChanged();
        AssertClose(Reference(x, layer), layer.Forward(x, train: false));

        // The numerical gradient of Σ y through the layer is Σ_i x[i, p] for every W[p, j]: probes must reach the GEMM.
        var numerical = DeepScratch.Training.NumericalGradient.Compute(() => layer.Forward(x, train: false).Sum(), layer.W, 1e-2);
        for (int p = 0; p < 7; p++)
        {
            double column = 0;
            for (int i = 0; i < 9; i++)
            {
                column += x[i, p];
            }

            Assert.Equal(column, numerical[p, 3], 2);
        }
    }
}
