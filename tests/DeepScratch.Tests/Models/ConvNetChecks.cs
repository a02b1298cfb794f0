using DeepScratch.Data;
using DeepScratch.Models;
using DeepScratch.Serialization;
using DeepScratch.Tests.Layers;

namespace DeepScratch.Tests.Models;

/// <summary>What the SimpleConvNet and DeepConvNet tests share: the MNIST test set as images, a sampled gradient check, sample statistics.</summary>
internal static class ConvNetChecks
{
    private static readonly Lazy<(Tensor X, byte[] Labels)> TestSet = new(() =>
    {
        var set = Mnist.LoadSet(DatasetSplit.Test, new DataStore(TestData.Dir, downloader: null));
        return (set.ImageTensor(normalize: true, flatten: false), set.Labels);
    });

    /// <summary>The 10,000 MNIST test images (N, 1, 28, 28) in [0, 1] and their labels, loaded once.</summary>
    public static (Tensor X, byte[] Labels) MnistTest => TestSet.Value;

    /// <summary>Labels as the class-index tensor (N,) that <see cref="LayeredNetwork.Accuracy"/> takes.</summary>
    public static Tensor LabelTensor(byte[] labels)
    {
        var t = Tensor.Zeros(labels.Length);
        for (int i = 0; i < labels.Length; i++)
        {
            t[i] = labels[i];
        }

        return t;
    }

    /// <summary>The book's pickle loaded into <paramref name="net"/> by name; returns the network.</summary>
    public static T WithBookWeights<T>(T net, string pickle) where T : LayeredNetwork
    {
        net.LoadParameters(NumpyPickle.LoadTensors(TestData.Weights(pickle)));
        return net;
    }

    /// <summary>
    /// The book's gradient check on <paramref name="samples"/> entries of each parameter (central differences of the
    /// training loss, summed in double), judged by <see cref="GradientCheck"/>'s relative-norm criterion: all entries of
    /// large filters would take minutes, and a random sample of them fails as surely when backprop is wrong.
    /// </summary>
    public static void AssertGradientsMatch(LayeredNetwork net, Tensor x, Tensor t, double h, int samples, int seed)
    {
        net.Gradient(x, t);
        var random = new Random(seed);
        foreach (var p in net.Parameters)
        {
            int count = Math.Min(samples, p.Value.Length);
            var indices = Enumerable.Range(0, p.Value.Length).OrderBy(_ => random.Next()).Take(count).ToArray();
            var analytic = Tensor.Zeros(count);
            var numerical = Tensor.Zeros(count);
            for (int k = 0; k < count; k++)
            {
                int i = indices[k];
                float original = p.Value.Span[i];
                p.Value.Span[i] = (float)(original + h);
                double plus = net.Loss(x, t, train: true);
                p.Value.Span[i] = (float)(original - h);
                double minus = net.Loss(x, t, train: true);
                p.Value.Span[i] = original;
                numerical[k] = (float)((plus - minus) / ((double)(float)(original + h) - (float)(original - h)));
                analytic[k] = p.Grad.Span[i];
            }

            Assert.True(GradientCheck.MaxAbs(numerical) > 1e-4, $"{p.Name}: the check is meaningless if the sampled gradient is ~0");
            GradientCheck.AssertClose(p.Name, analytic, numerical);
        }
    }

    /// <summary>
    /// A gradient check along directions, for deep networks whose single-entry differences drown in float32 rounding:
    /// for each parameter, the loss is evaluated at W ± h·d for d the backprop gradient's unit direction and
    /// <paramref name="randomDirections"/> random unit directions, and the measured change L⁺ − L⁻ is compared with the
    /// change the gradient predicts, Σ g·(W⁺ − W⁻) over the float32 values actually used (summed in double). The error
    /// is relative to the change along the gradient itself, 2·h·‖g‖, and must be ≤ <see cref="GradientCheck.Tolerance"/>.
    /// </summary>
    public static void AssertDirectionalDerivativesMatch(LayeredNetwork net, Tensor x, Tensor t, double h, int randomDirections, int seed)
    {
        net.Gradient(x, t);
        var random = new Random(seed);
        foreach (var p in net.Parameters)
        {
            var g = p.Grad.ToArray();
            double norm = Math.Sqrt(g.Sum(v => (double)v * v));
            Assert.True(norm > 1e-4, $"{p.Name}: the check is meaningless if the gradient is ~0 (‖g‖ = {norm:E2})");
            var directions = new List<double[]> { g.Select(v => v / norm).ToArray() };
            for (int k = 0; k < randomDirections; k++)
            {
                var d = GradientCheck.Random([g.Length], random, 1).ToArray().Select(v => (double)v).ToArray();
                double dn = Math.Sqrt(d.Sum(v => v * v));
                directions.Add(d.Select(v => v / dn).ToArray());
            }

            var original = p.Value.ToArray();
            foreach (var d in directions)
            {
                var plus = original.Select((w, i) => (float)(w + h * d[i])).ToArray();
                var minus = original.Select((w, i) => (float)(w - h * d[i])).ToArray();
                double predicted = 0;
                for (int i = 0; i < g.Length; i++)
                {
                    predicted += (double)g[i] * ((double)plus[i] - minus[i]);
                }

                plus.CopyTo(p.Value.Span);
                double lossPlus = net.Loss(x, t, train: true);
                minus.CopyTo(p.Value.Span);
                double lossMinus = net.Loss(x, t, train: true);
                original.CopyTo(p.Value.Span);
                double error = Math.Abs(lossPlus - lossMinus - predicted) / (2 * h * norm);
                Assert.True(error <= GradientCheck.Tolerance,
                    $"{p.Name}: the loss changed by {lossPlus - lossMinus:E4} along a direction where backprop predicts {predicted:E4} (relative error {error:E2} > {GradientCheck.Tolerance:E0}).");
            }
        }
    }

    /// <summary>The sample standard deviation of a tensor's values (computed in double).</summary>
    public static double Std(Tensor values)
    {
        var v = values.ToArray();
        double mean = v.Average(a => (double)a);
        return Math.Sqrt(v.Sum(a => (a - mean) * (a - mean)) / v.Length);
    }
}
