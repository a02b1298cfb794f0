using DeepScratch.Kernels;
using DeepScratch.Layers;
using DeepScratch.Models;
using DeepScratch.Training;
using DeepScratch.Training.Optimizers;

namespace DeepScratch.Tests.Layers;

/// <summary>
/// Affine packs W for x·W at every Forward (or reads it in place when the GEMM does: a narrow W on AVX-512) and for
/// dout·Wᵀ at most once per Forward, so whatever wrote W in place since (an optimizer, a plain span write, a
/// numerical-gradient probe, a load) is what the next product uses, with no announcement. The staleness tests run on a
/// narrow W (20 columns, read in place where the GEMM does) and a wide one (200 columns, always packed). The oracle is a plain double loop over the current W (or backprop against central differences), so
/// a pack kept across a write turns these red.
/// </summary>
public class PackedWeightTests
{
    private static (Affine Layer, Tensor X) Setup(int seed, int columns = 20)
    {
        var random = new Random(seed);
        var layer = new Affine(new Parameter("W1", GradientCheck.Random([7, columns], random, 1), weightDecay: true), new Parameter("b1", GradientCheck.Random([columns], random, 1)));
        return (layer, GradientCheck.Random([9, 7], random, 1));
    }

    /// <summary>A W the GEMM reads in place on AVX-512 and one it always packs.</summary>
    public static TheoryData<int> Widths => [20, 200];

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

    public static TheoryData<string, int> Optimizers()
    {
        var data = new TheoryData<string, int>();
        foreach (string name in OptimizerFactory.Names)
        {
            data.Add(name, 20);
            data.Add(name, 200);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Every_optimizer_update_makes_forward_and_backward_use_the_new_weights(string name, int columns)
    {
        var (layer, x) = Setup(11, columns);
        var optimizer = OptimizerFactory.Create(name, 0.5); // a large step, so an old W would be far off
        var dout = GradientCheck.Random([9, columns], new Random(5), 1);
        for (int step = 0; step < 3; step++)
        {
            AssertClose(Reference(x, layer), layer.Forward(x, train: true));
            AssertClose(ReferenceDx(dout, layer), layer.Backward(dout));
            optimizer.Update(layer.Parameters);
        }

        AssertClose(Reference(x, layer), layer.Forward(x, train: false));
    }

    [Fact]
    public void Weights_are_packed_once_per_forward_and_at_most_once_per_backward_after_it()
    {
        // 200 columns: wider than the GEMM reads in place, so x·W uses a pack (the narrow case is the test below).
        var random = new Random(3);
        var layer = new Affine(new Parameter("W1", GradientCheck.Random([7, 200], random, 1)), new Parameter("b1", GradientCheck.Random([200], random, 1)));
        var x = GradientCheck.Random([9, 7], random, 1);
        Assert.False(Gemm.ReadsInPlace(Transpose.No, 9, 200, 7));
        var dout = GradientCheck.Random([9, 200], new Random(6), 1);
        for (int i = 0; i < 5; i++)
        {
            layer.Forward(x, train: false);
        }

        Assert.Equal((5, 0), layer.PackCounts); // inference alone never packs Wᵀ

        layer.Backward(dout);
        layer.Backward(dout);
        Assert.Equal((5, 1), layer.PackCounts); // backwards after one Forward share one pack of Wᵀ

        // One training step (forward, backward, update) packs each layout once.
        layer.Forward(x, train: true);
        layer.Backward(dout);
        new Adam().Update(layer.Parameters);
        Assert.Equal((6, 2), layer.PackCounts);

        layer.Forward(x, train: true);
        layer.Backward(dout);
        Assert.Equal((7, 3), layer.PackCounts);
    }

    [Fact]
    public void A_narrow_weight_read_in_place_is_never_packed_for_the_forward_product_and_gives_the_packed_bits()
    {
        var (layer, x) = Setup(12);
        var dout = GradientCheck.Random([9, 20], new Random(8), 1);
        var packed = new float[9 * 20];
        // The same product on packed W: what the layer gave before it read W in place.
        var pack = PackedMatrix.Pack(layer.W.Value.Span, 20, Transpose.No, 7, 20);
        if (Gemm.HasFastKernels)
        {
            Gemm.MultiplyPacked(Transpose.No, 9, 1f, x.Span, 7, pack, 0f, packed, 20);
        }

        for (int step = 0; step < 3; step++)
        {
            var y = layer.Forward(x, train: true);
            layer.Backward(dout);
            AssertClose(Reference(x, layer), y);
            if (Gemm.HasFastKernels && step == 0)
            {
                var bias = layer.B.Value.ToArray();
                Assert.Equal(packed.Select((v, i) => v + bias[i % 20]).ToArray(), y.ToArray());
            }

            new Sgd(0.1).Update(layer.Parameters);
        }

        int forwardPacks = Gemm.ReadsInPlace(Transpose.No, 9, 20, 7) ? 0 : 3;
        Assert.Equal((forwardPacks, 3), layer.PackCounts);
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void A_weight_written_in_place_without_announcement_is_used_by_the_next_forward_and_backward(int columns)
    {
        var (layer, x) = Setup(4, columns);
        var dout = GradientCheck.Random([9, columns], new Random(7), 1);
        layer.Forward(x, train: true);
        layer.Backward(dout);

        // The book's own SGD step on W, written straight into the span as a learner would: W -= lr·dW.
        var w = layer.W.Value.Span;
        var dw = layer.W.Grad.Span;
        for (int i = 0; i < w.Length; i++)
        {
            w[i] -= 0.5f * dw[i];
        }

        AssertClose(Reference(x, layer), layer.Forward(x, train: true));
        AssertClose(ReferenceDx(dout, layer), layer.Backward(dout));

        layer.W.Value.Span.Fill(0.25f);
        AssertClose(Reference(x, layer), layer.Forward(x, train: false));

        // The numerical gradient of Σ y through the layer is Σ_i x[i, p] for every W[p, j]: the probes of the tensor
        // (chapter 4's numerical_gradient on a weight array) must reach the GEMM.
        var numerical = NumericalGradient.Compute(() => layer.Forward(x, train: false).Sum(), layer.W.Value, 1e-2);
        for (int p = 0; p < 7; p++)
        {
            double column = 0;
            for (int i = 0; i < 9; i++)
            {
                column += x[i, p];
            }

            for (int j = 0; j < columns; j++)
            {
                // Central differences of a float sum over 9 x columns outputs: off by up to ~4e-4 at 200 columns; a
                // probe the GEMM missed would give 0.
                Assert.True(Math.Abs(column - numerical[p, j]) <= 2e-3, $"W[{p}, {j}]: numerical {numerical[p, j]}, expected {column}");
            }
        }
    }

    [Fact]
    public void Numerical_gradient_of_a_networks_loss_over_its_weight_tensors_equals_backprop()
    {
        // Chapter 5's gradient check as the book writes it: numerical_gradient(loss, W) on the weight arrays themselves.
        // Std 0.3 keeps ReLU's inputs away from the kink for a step of h (see NetworkGradientTests).
        var net = new TwoLayerNet(inputSize: 20, hiddenSize: 10, outputSize: 5, weightInitStd: 0.3, seed: 3);
        var x = GradientCheck.Random([3, 20], new Random(5), 1);
        var t = Tensor.FromValues(1, 4, 2);
        net.Gradient(x, t);
        foreach (var p in net.Parameters.Where(p => p.Name.StartsWith('W')))
        {
            var analytic = p.Grad.Clone();
            var numerical = NumericalGradient.Compute(() => net.Loss(x, t, train: true), p.Value, 3e-3);
            Assert.True(GradientCheck.MaxAbs(numerical) > 1e-3, $"{p.Name}: the numerical gradient is ~0, so the probes did not reach the product");
            GradientCheck.AssertClose(p.Name, analytic, numerical);
        }
    }
}
