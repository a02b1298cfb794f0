using DeepScratch.Layers;
using DeepScratch.Training;

namespace DeepScratch.Tests.Layers;

/// <summary>
/// Compares backpropagated gradients with <see cref="NumericalGradient"/> (the book's gradient check).
/// Criterion, per tensor: the relative error of the whole gradient, ‖analytic − numerical‖₂ / max(‖analytic‖₂, ‖numerical‖₂),
/// must be ≤ 1e-3. A vector norm rather than element by element because the forward pass is float32: its rounding
/// (~3e-8 on the loss) puts a noise of ~1e-6 on every numerical component, which would swamp the relative error of
/// components that are tiny but not zero, while leaving the error of the gradient as a whole near 1e-5.
/// The loss itself is summed in double, and h is chosen for float32 (1e-3 to 1e-2, not the book's 1e-4).
/// </summary>
internal static class GradientCheck
{
    public const double Tolerance = 1e-3;

    /// <summary>‖a − n‖₂ / max(‖a‖₂, ‖n‖₂), the relative error of one tensor's gradient (0 when both are zero).</summary>
    public static double RelativeError(Tensor analytic, Tensor numerical)
    {
        Assert.Equal(numerical.Shape.ToArray(), analytic.Shape.ToArray());
        double diff = 0, na = 0, nn = 0;
        var a = analytic.Span;
        var n = numerical.Span;
        for (int i = 0; i < a.Length; i++)
        {
            double d = (double)a[i] - n[i];
            diff += d * d;
            na += (double)a[i] * a[i];
            nn += (double)n[i] * n[i];
        }

        double scale = Math.Sqrt(Math.Max(na, nn));
        return scale == 0 ? 0 : Math.Sqrt(diff) / scale;
    }

    /// <summary>The largest |value|, for gradients that must vanish.</summary>
    public static double MaxAbs(Tensor t)
    {
        double max = 0;
        foreach (float v in t.Span)
        {
            max = Math.Max(max, Math.Abs(v));
        }

        return max;
    }

    /// <summary>Asserts the criterion for one named tensor, reporting the error found.</summary>
    public static void AssertClose(string name, Tensor analytic, Tensor numerical)
    {
        double error = RelativeError(analytic, numerical);
        Assert.True(error <= Tolerance, $"{name}: backprop and numerical gradients differ by a relative {error:E2} (> {Tolerance:E0}).");
    }

    /// <summary>
    /// Checks a layer on input <paramref name="x"/> through the scalar f = Σ Forward(x)·G for a fixed random G (so that
    /// dout = G): dx and every parameter's gradient. <paramref name="build"/> makes the layer afresh for each evaluation
    /// when its forward is random (Dropout with a seeded generator), else returns the same layer.
    /// </summary>
    public static IReadOnlyDictionary<string, double> Layer(Func<ILayer> build, Tensor x, bool train, int seed, double h)
    {
        var layer = build();
        var output = layer.Forward(x, train);
        var g = Random(output.Shape.ToArray(), new Random(seed), 1.0);
        var dx = layer.Backward(g);
        var analytic = layer.Parameters.ToDictionary(p => p.Name, p => p.Grad.Clone());
        analytic["x"] = dx;

        double F() => Dot(build().Forward(x, train), g);
        var errors = new Dictionary<string, double>
        {
            ["x"] = RelativeError(dx, NumericalGradient.Compute(F, x, h)),
        };
        foreach (var p in layer.Parameters)
        {
            errors[p.Name] = RelativeError(analytic[p.Name], NumericalGradient.Compute(F, p.Value, h));
        }

        return errors;
    }

    /// <summary>Asserts that every error of <see cref="Layer"/> is within the tolerance.</summary>
    public static void AssertLayer(Func<ILayer> build, Tensor x, bool train = true, int seed = 1, double h = 1e-3)
    {
        foreach (var (name, error) in Layer(build, x, train, seed, h))
        {
            Assert.True(error <= Tolerance, $"{name}: backprop and numerical gradients differ by a relative {error:E2} (> {Tolerance:E0}).");
        }
    }

    /// <summary>Σ a·b in double.</summary>
    public static double Dot(Tensor a, Tensor b)
    {
        Assert.Equal(a.Shape.ToArray(), b.Shape.ToArray());
        double sum = 0;
        var x = a.Span;
        var y = b.Span;
        for (int i = 0; i < x.Length; i++)
        {
            sum += (double)x[i] * y[i];
        }

        return sum;
    }

    /// <summary>Uniform values in [-scale, scale).</summary>
    public static Tensor Random(int[] shape, Random random, double scale)
    {
        var t = Tensor.Zeros(shape);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++)
        {
            s[i] = (float)((random.NextDouble() * 2 - 1) * scale);
        }

        return t;
    }

    /// <summary>Uniform values whose magnitude is in [min, max) with a random sign: kept away from ReLU's kink at 0.</summary>
    public static Tensor AwayFromZero(int[] shape, Random random, double min, double max)
    {
        var t = Tensor.Zeros(shape);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++)
        {
            double magnitude = min + random.NextDouble() * (max - min);
            s[i] = (float)(random.Next(2) == 0 ? -magnitude : magnitude);
        }

        return t;
    }
}
