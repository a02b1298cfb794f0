using System.Runtime.Intrinsics;
using DeepScratch.Kernels;
using Xunit.Abstractions;
using static DeepScratch.Tests.Kernels.KernelTestSupport;

namespace DeepScratch.Tests.Kernels;

/// <summary>
/// The vectorised exp and sigmoid of the fused epilogues against the correctly rounded double-precision formulas,
/// measured in ulp through the floats' integer representations.
/// </summary>
public class VectorMathTests(ITestOutputHelper output)
{
    /// <summary>e^x is a normal float from here up (e^-87.3 ≈ 1.3e-38 > 2^-126).</summary>
    private const float NormalLow = -87.3f;

    /// <summary>Just below ln(float.MaxValue) ≈ 88.72284.</summary>
    private const float FiniteHigh = 88.7f;

    /// <summary>Below ln(2^-150) e^x rounds to zero even as a subnormal.</summary>
    private const float SubnormalLow = -103.97f;

    /// <summary>ln(float.MaxValue): above it sigmoid's e^-x overflows for negative x.</summary>
    private const float OverflowEdge = 88.7228f;

    [Fact]
    public void Exp_is_within_2_ulp_of_the_double_exp_over_the_normal_range()
    {
        var x = new List<float>(DenseSweep(NormalLow, FiniteHigh, 1 << 20));
        var random = new Random(2024);
        for (int i = 0; i < 300_000; i++)
        {
            x.Add((float)(NormalLow + random.NextDouble() * (FiniteHigh - NormalLow)));
        }

        // Random bit patterns: small magnitudes (down to 1e-38), where uniform sampling never goes.
        for (int i = 0; i < 200_000; i++)
        {
            float v = BitConverter.Int32BitsToSingle(random.Next(0, 0x42AE0000)); // |v| < 87
            x.Add(random.Next(2) == 0 ? v : -v);
        }

        var (maxUlp, worst) = MaxUlpError(x.ToArray(), VectorMath.Exp, v => (float)Math.Exp(v));
        output.WriteLine($"Exp over [{NormalLow}, {FiniteHigh}]: {x.Count} points, max error {maxUlp} ulp at x = {worst:R}");
        Assert.True(maxUlp <= 2, $"Exp is off by {maxUlp} ulp at x = {worst:R} (allowed 2); {x.Count} points over [{NormalLow}, {FiniteHigh}]");
    }

    [Fact]
    public void Exp_gives_finite_non_negative_subnormals_down_to_minus_103_97()
    {
        var x = DenseSweep(SubnormalLow, NormalLow, 200_000);
        var y = new float[x.Length];
        VectorMath.Exp(x, y);
        for (int i = 0; i < x.Length; i++)
        {
            if (!(float.IsFinite(y[i]) && y[i] >= 0f))
            {
                Assert.Fail($"Exp({x[i]:R}) = {y[i]:R}");
            }
        }

        var (maxUlp, worst) = MaxUlpError(x, VectorMath.Exp, v => (float)Math.Exp(v));
        output.WriteLine($"Exp over [{SubnormalLow}, {NormalLow}] (subnormal results): max error {maxUlp} ulp at x = {worst:R}");
        Assert.True(maxUlp <= 4, $"Exp is off by {maxUlp} ulp at x = {worst:R} in the subnormal range (allowed 4)");
    }

    [Fact]
    public void Exp_overflows_to_infinity_above_88_73_and_underflows_to_zero_below_minus_104()
    {
        float[] high = [88.73f, 88.75f, 89f, 100f, 1000f, 1e30f, float.MaxValue, float.PositiveInfinity];
        float[] low = [-104f, -104.5f, -110f, -1000f, -1e30f, float.MinValue, float.NegativeInfinity];
        Assert.All(Apply(VectorMath.Exp, high), y => Assert.Equal(float.PositiveInfinity, y));
        Assert.All(Apply(VectorMath.Exp, low), y => Assert.Equal(0, BitConverter.SingleToInt32Bits(y)));

        // Every float from 88.70 to 88.75 and from -104.5 to -103.9: +inf exactly where the double exp overflows
        // float, 0 exactly where it rounds to 0, and within 2 ulp in between.
        foreach (var (lo, hi) in new[] { (88.70f, 88.75f), (-104.5f, -103.9f) })
        {
            var x = Consecutive(lo, hi);
            var y = Apply(VectorMath.Exp, x);
            for (int i = 0; i < x.Length; i++)
            {
                float expected = (float)Math.Exp(x[i]);
                bool edge = float.IsInfinity(expected) || float.IsInfinity(y[i]) || expected == 0f || y[i] == 0f;
                if (edge ? expected != y[i] : UlpDistance(expected, y[i]) > 2)
                {
                    Assert.Fail($"Exp({x[i]:R}) = {y[i]:R}, expected {expected:R}");
                }
            }
        }
    }

    [Fact]
    public void Exp_keeps_NaN_and_maps_infinities_to_infinity_and_zero()
    {
        var y = VectorMath.Exp(Vector256.Create(float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, 1f, -1f, float.NaN));
        Assert.True(float.IsNaN(y[0]) && float.IsNaN(y[7]), $"NaN in gave {y[0]} and {y[7]}");
        Assert.Equal(float.PositiveInfinity, y[1]);
        Assert.Equal(0f, y[2]);
        Assert.Equal(1f, y[3]);
        Assert.Equal(1f, y[4]);
        Assert.True(UlpDistance(MathF.E, y[5]) <= 1, $"e = {y[5]:R}");
        Assert.True(UlpDistance((float)Math.Exp(-1), y[6]) <= 1, $"1/e = {y[6]:R}");
    }

    [Fact]
    public void Sigmoid_is_within_3_ulp_of_the_double_formula_from_minus_88_72_to_100()
    {
        var x = new List<float>(DenseSweep(-OverflowEdge, 100f, 1 << 20));
        x.AddRange(ReductionBoundaries(-OverflowEdge, 100f));
        var random = new Random(7);
        for (int i = 0; i < 100_000; i++)
        {
            float v = BitConverter.Int32BitsToSingle(random.Next(0, 0x42B10000)); // |v| < 88.5, including tiny ones
            x.Add(random.Next(2) == 0 ? v : -v);
        }

        var (maxUlp, worst) = MaxUlpError(x.ToArray(), VectorMath.Sigmoid, SigmoidReference);
        output.WriteLine($"Sigmoid over [{-OverflowEdge}, 100]: {x.Count} points, max error {maxUlp} ulp at x = {worst:R}");
        Assert.True(maxUlp <= 3, $"Sigmoid is off by {maxUlp} ulp at x = {worst:R} (allowed 3); {x.Count} points over [{-OverflowEdge}, 100]");
    }

    [Fact]
    public void Sigmoid_keeps_its_subnormal_results_from_minus_100_to_minus_88_72()
    {
        // 1 / (1 + e^-x) for x in [-100, -88.72] is a subnormal float from about 2.9e-39 down to 3.7e-44, not 0.
        var x = DenseSweep(-100f, -OverflowEdge, 100_000);
        var (maxUlp, worst) = MaxUlpError(x, VectorMath.Sigmoid, SigmoidReference);
        output.WriteLine($"Sigmoid over [-100, {-OverflowEdge}] (subnormal results): max error {maxUlp} ulp at x = {worst:R}");
        Assert.True(maxUlp <= 3,
            $"Sigmoid is off by {maxUlp} ulp at x = {worst:R}: got {Apply(VectorMath.Sigmoid, [worst])[0]:R}, expected {SigmoidReference(worst):R} (allowed 3)");
    }

    [Fact]
    public void Sigmoid_is_never_NaN_for_finite_input_and_exactly_one_half_at_zero()
    {
        var random = new Random(3);
        var x = new float[1 << 20];
        for (int i = 0; i < x.Length; i++)
        {
            int bits;
            do
            {
                bits = random.Next(int.MinValue, int.MaxValue);
            }
            while (!float.IsFinite(BitConverter.Int32BitsToSingle(bits)));
            x[i] = BitConverter.Int32BitsToSingle(bits);
        }

        x[0] = float.MaxValue;
        x[1] = float.MinValue;
        x[2] = float.Epsilon;
        x[3] = -float.Epsilon;
        var y = Apply(VectorMath.Sigmoid, x);
        for (int i = 0; i < x.Length; i++)
        {
            if (!(y[i] is >= 0f and <= 1f))
            {
                Assert.Fail($"Sigmoid({x[i]:R}) = {y[i]:R}");
            }
        }

        Assert.Equal(1f, y[0]);
        Assert.Equal(0f, y[1]);
        Assert.Equal(0.5f, y[2]);
        Assert.Equal(0.5f, y[3]);
        var zeros = Apply(VectorMath.Sigmoid, [0f, -0f]);
        Assert.Equal(0.5f, zeros[0]);
        Assert.Equal(0.5f, zeros[1]);
        Assert.True(float.IsNaN(Apply(VectorMath.Sigmoid, [float.NaN])[0]));
        Assert.Equal(new[] { 1f, 0f }, Apply(VectorMath.Sigmoid, [float.PositiveInfinity, float.NegativeInfinity]));
    }

    [Fact]
    public void Sigmoid_never_decreases_along_a_sorted_sweep()
    {
        // Dense points plus every float around each range-reduction boundary, where exp switches its power of two.
        var x = DenseSweep(-100f, 100f, 1 << 20).Concat(ReductionBoundaries(-100f, 100f)).Distinct().Order().ToArray();
        var y = Apply(VectorMath.Sigmoid, x);
        for (int i = 1; i < x.Length; i++)
        {
            if (y[i] < y[i - 1])
            {
                Assert.Fail($"Sigmoid({x[i - 1]:R}) = {y[i - 1]:R} but Sigmoid({x[i]:R}) = {y[i]:R}");
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(13)]
    [InlineData(64)]
    [InlineData(67)]
    public void Span_forms_give_each_element_what_the_vector_form_gives_it(int length)
    {
        var random = new Random(length);
        var x = RandomArray(random, length, -30f, 30f);
        var exp = new float[length];
        var sigmoid = new float[length];
        VectorMath.Exp(x, exp);
        VectorMath.Sigmoid(x, sigmoid);
        for (int i = 0; i < length; i++)
        {
            Assert.Equal(VectorMath.Exp(Vector256.Create(x[i]))[0], exp[i]);
            Assert.Equal(VectorMath.Sigmoid(Vector256.Create(x[i]))[0], sigmoid[i]);
        }

        var inPlace = (float[])x.Clone();
        VectorMath.Sigmoid(inPlace, inPlace);
        AssertBitIdentical(sigmoid, inPlace, "sigmoid in place");
        Assert.Throws<ArgumentException>(() => VectorMath.Exp(x, new float[length - 1]));
    }

    private static double SigmoidReferenceDouble(float x) => 1.0 / (1.0 + Math.Exp(-(double)x));

    private static float SigmoidReference(float x) => (float)SigmoidReferenceDouble(x);

    private delegate void SpanFunction(ReadOnlySpan<float> x, Span<float> destination);

    private static float[] Apply(SpanFunction f, float[] x)
    {
        var y = new float[x.Length];
        f(x, y);
        return y;
    }

    private static (long MaxUlp, float Worst) MaxUlpError(float[] x, SpanFunction f, Func<float, float> reference)
    {
        var y = Apply(f, x);
        long max = -1;
        float worst = float.NaN;
        for (int i = 0; i < x.Length; i++)
        {
            long ulp = UlpDistance(reference(x[i]), y[i]);
            if (ulp > max)
            {
                (max, worst) = (ulp, x[i]);
            }
        }

        return (max, worst);
    }

    /// <summary><paramref name="count"/> + 1 evenly spaced points from <paramref name="low"/> to <paramref name="high"/>.</summary>
    private static float[] DenseSweep(float low, float high, int count)
    {
        var x = new float[count + 1];
        for (int i = 0; i <= count; i++)
        {
            x[i] = (float)(low + ((double)high - low) * i / count);
        }

        return x;
    }

    /// <summary>Every float from <paramref name="low"/> to <paramref name="high"/>.</summary>
    private static float[] Consecutive(float low, float high)
    {
        var x = new List<float>();
        for (float v = low; v <= high; v = MathF.BitIncrement(v))
        {
            x.Add(v);
        }

        return x.ToArray();
    }

    /// <summary>
    /// The 64 floats either side of each point where round(x · log2 e) changes (x = (j + ½) ln 2), for exp and for
    /// sigmoid's exp(-x), within [low, high].
    /// </summary>
    private static IEnumerable<float> ReductionBoundaries(float low, float high)
    {
        for (int j = -160; j <= 160; j++)
        {
            float center = (float)((j + 0.5) * Math.Log(2));
            float v = center;
            for (int s = 0; s < 64; s++)
            {
                v = MathF.BitDecrement(v);
            }

            for (int s = 0; s < 129; s++, v = MathF.BitIncrement(v))
            {
                if (v >= low && v <= high)
                {
                    yield return v;
                }
            }
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(2, 8)]
    [InlineData(5, 50)]
    [InlineData(4, 100)]
    public unsafe void SigmoidRows_maps_each_row_in_place_and_touches_nothing_past_a_row(int rows, int n)
    {
        // Rows n floats long, 16 apart past n: the gaps and the end hold a sentinel that must survive.
        int ldc = n + 16;
        var random = new Random(n);
        var c = new float[rows * ldc + 16];
        Array.Fill(c, 12345.5f);
        var x = new float[rows * n];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)(random.NextDouble() * 40 - 20);
            c[i / n * ldc + i % n] = x[i];
        }

        fixed (float* pc = c)
        {
            VectorMath.SigmoidRows(pc, ldc, rows, n);
        }

        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < ldc; j++)
            {
                float got = c[r * ldc + j];
                if (j >= n)
                {
                    Assert.Equal(12345.5f, got);
                    continue;
                }

                float input = x[r * n + j];
                Assert.True(UlpDistance(SigmoidReference(input), got) <= 3, $"row {r} column {j}: sigmoid({input:R}) = {got:R}, expected {SigmoidReference(input):R}");
                // The same bits the one-vector sigmoid gives (the engine's other paths use it).
                Assert.Equal(VectorMath.Sigmoid(Vector256.Create(input)).GetElement(0), got);
            }
        }

        Assert.All(c.AsSpan(rows * ldc).ToArray(), v => Assert.Equal(12345.5f, v));
    }
    [Fact]
    public void The_16_lane_sigmoid_and_exp_give_the_8_lane_forms_bits_lane_for_lane()
    {
        // Both edges of every branch (overflow of e^-x, subnormal results, rounding of n), the specials, and a sweep.
        var x = new List<float> { 0f, -0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, -87f, -87.0001f, -86.9999f,
            -88.7228394f, 88.7228394f, -103.972084f, -103.98f, -110f, 1e-30f, -1e-30f, float.Epsilon, float.MaxValue, float.MinValue };
        var random = new Random(512);
        while (x.Count % 16 != 0 || x.Count < 4096)
        {
            x.Add((float)(random.NextDouble() * 240 - 120));
        }

        for (int i = 0; i < x.Count; i += 16)
        {
            var wide = Vector512.Create(x.GetRange(i, 16).ToArray());
            var sigmoid = VectorMath.Sigmoid(wide);
            var exp = VectorMath.Exp(wide);
            for (int half = 0; half < 2; half++)
            {
                var narrow = Vector256.Create(x.GetRange(i + 8 * half, 8).ToArray());
                var s8 = VectorMath.Sigmoid(narrow);
                var e8 = VectorMath.Exp(narrow);
                for (int lane = 0; lane < 8; lane++)
                {
                    float input = x[i + 8 * half + lane];
                    Assert.True(BitConverter.SingleToInt32Bits(s8.GetElement(lane)) == BitConverter.SingleToInt32Bits(sigmoid.GetElement(8 * half + lane)),
                        $"sigmoid({input:R}): 8 lanes {s8.GetElement(lane):R}, 16 lanes {sigmoid.GetElement(8 * half + lane):R}");
                    Assert.True(BitConverter.SingleToInt32Bits(e8.GetElement(lane)) == BitConverter.SingleToInt32Bits(exp.GetElement(8 * half + lane)),
                        $"exp({input:R}): 8 lanes {e8.GetElement(lane):R}, 16 lanes {exp.GetElement(8 * half + lane):R}");
                }
            }
        }

        // The span form (16 lanes where it can, then 8, then masked) agrees with the 8-lane form on every element.
        var y = new float[x.Count - 3];
        VectorMath.Sigmoid(x.ToArray().AsSpan(0, y.Length), y);
        for (int i = 0; i < y.Length; i++)
        {
            Assert.Equal(BitConverter.SingleToInt32Bits(VectorMath.Sigmoid(Vector256.Create(x[i])).GetElement(0)), BitConverter.SingleToInt32Bits(y[i]));
        }
    }
}
