using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DeepScratch.Kernels;

/// <summary>
/// Vectorised exp and sigmoid for the fused epilogues, accurate to a couple of ulp over the whole float range:
/// Cody-Waite range reduction (x = n·ln2 + r, |r| ≤ ln2/2), a degree-6 minimax polynomial for e^r (Cephes' expf
/// coefficients), and 2^n built in the exponent bits.
/// </summary>
internal static unsafe class VectorMath
{
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2Hi = 0.693359375f;
    private const float Ln2Lo = -2.12194440e-4f;
    private const float MaxInput = 88.7228394f;   // ln(float.MaxValue)
    private const float MinInput = -103.972084f;  // below this e^x rounds to 0 even as a subnormal
    private const float TinySigmoid = -87f;       // below this e^-x overflows: sigmoid is e^x there

    // Cephes' expf minimax coefficients for e^r - 1 - r = r²·(P1 + P2·r + ... + P6·r⁵) on |r| ≤ ln2/2.
    private const float P1 = 5.0000001201e-1f;
    private const float P2 = 1.6666665459e-1f;
    private const float P3 = 4.1665795894e-2f;
    private const float P4 = 8.3334519073e-3f;
    private const float P5 = 1.3981999507e-3f;
    private const float P6 = 1.9875691500e-4f;

    /// <summary>e^x for each lane; +inf above 88.72, 0 below -103.97 (and for -inf), NaN stays NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        var clamped = Vector256.Min(Vector256.Max(x, Vector256.Create(MinInput)), Vector256.Create(MaxInput));
        var n = Vector256.Round(clamped * Vector256.Create(Log2E));
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Hi), clamped);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Lo), r);
        var p = Vector256.Create(P6);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P5));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P4));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P3));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P2));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P1));
        p = Vector256.FusedMultiplyAdd(p, r * r, r) + Vector256<float>.One;

        // 2^n as two factors so that n down to -150 (subnormal results) and up to 128 stay representable.
        var ni = Vector256.ConvertToInt32(n);
        var half = ni >> 1;
        var scale1 = (half + Vector256.Create(127)) << 23;
        var scale2 = (ni - half + Vector256.Create(127)) << 23;
        var result = p * scale1.AsSingle() * scale2.AsSingle();
        result = Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(MaxInput)), Vector256.Create(float.PositiveInfinity), result);
        result = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(MinInput)), Vector256<float>.Zero, result);
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), result, x);
    }

    /// <summary>
    /// 1 / (1 + e^-x) for each lane, the book's formula. Below -87, where e^-x would overflow, it is e^x instead:
    /// there 1 + e^x rounds to 1, so the two agree, and tiny results stay accurate subnormals rather than 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sigmoid(Vector256<float> x)
    {
        var formula = Vector256<float>.One / (Vector256<float>.One + Exp(-x));
        var tiny = Vector256.LessThan(x, Vector256.Create(TinySigmoid));
        return tiny == Vector256<float>.Zero ? formula : Vector256.ConditionalSelect(tiny, Exp(x), formula);
    }

    /// <summary>
    /// <see cref="Exp(Vector256{float})"/> on 16 lanes, step for step (so lane for lane the same bits): on AVX-512
    /// processors the sigmoid loop runs half the instructions, 3-5% of the MLP's time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        var clamped = Vector512.Min(Vector512.Max(x, Vector512.Create(MinInput)), Vector512.Create(MaxInput));
        var n = Vector512.Round(clamped * Vector512.Create(Log2E));
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Hi), clamped);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Lo), r);
        var p = Vector512.Create(P6);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P5));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P4));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P2));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P1));
        p = Vector512.FusedMultiplyAdd(p, r * r, r) + Vector512<float>.One;

        // 2^n as two factors so that n down to -150 (subnormal results) and up to 128 stay representable.
        var ni = Vector512.ConvertToInt32(n);
        var half = ni >> 1;
        var scale1 = (half + Vector512.Create(127)) << 23;
        var scale2 = (ni - half + Vector512.Create(127)) << 23;
        var result = p * scale1.AsSingle() * scale2.AsSingle();
        result = Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512.Create(MaxInput)), Vector512.Create(float.PositiveInfinity), result);
        result = Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(MinInput)), Vector512<float>.Zero, result);
        return Vector512.ConditionalSelect(Vector512.Equals(x, x), result, x);
    }

    /// <summary><see cref="Sigmoid(Vector256{float})"/> on 16 lanes, step for step.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Sigmoid(Vector512<float> x)
    {
        var formula = Vector512<float>.One / (Vector512<float>.One + Exp(-x));
        var tiny = Vector512.LessThan(x, Vector512.Create(TinySigmoid));
        return tiny == Vector512<float>.Zero ? formula : Vector512.ConditionalSelect(tiny, Exp(x), formula);
    }

    /// <summary>
    /// Sigmoid in place over <paramref name="rows"/> rows of <paramref name="n"/> floats, <paramref name="ldc"/> apart
    /// (a GEMM's finished block).
    /// </summary>
    public static void SigmoidRows(float* c, int ldc, int rows, int n)
    {
        for (int r = 0; r < rows; r++)
        {
            Sigmoid(c + (long)r * ldc, c + (long)r * ldc, n);
        }
    }

    /// <summary>
    /// y = sigmoid(x) over n floats (in place allowed): a loop of independent vectors that the processor overlaps, the
    /// ragged end through masked lanes. One vector per call, or one inside each tile's store, waited on the latency of
    /// the one before.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Sigmoid(float* x, float* y, int n)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            // 16 lanes at a time where the processor has them, bit for bit what the 8-lane loop gives.
            for (; j <= n - 16; j += 16)
            {
                Sigmoid(Vector512.Load(x + j)).Store(y + j);
            }
        }

        for (; j <= n - 8; j += 8)
        {
            Sigmoid(Vector256.Load(x + j)).Store(y + j);
        }

        if (j < n)
        {
            var tail = MaskedLanes.First(n - j);
            MaskedLanes.Store(y + j, tail, Sigmoid(MaskedLanes.Load(x + j, tail)));
        }
    }

    /// <summary>
    /// Softmax of one row of at most 16 values held in two vectors (lanes from <paramref name="width"/> on are
    /// ignored): the max, then exp and sum together, then the division. Both the fused GEMM epilogue and
    /// <see cref="SoftmaxKernel"/> use it for short rows, so the two paths agree bit for bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Softmax16(ref Vector256<float> lo, ref Vector256<float> hi, int width)
    {
        var lanes = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
        var limit = Vector256.Create(width);
        var minusInfinity = Vector256.Create(float.NegativeInfinity);
        lo = Vector256.ConditionalSelect(Vector256.LessThan(lanes, limit).AsSingle(), lo, minusInfinity);
        hi = Vector256.ConditionalSelect(Vector256.LessThan(lanes + Vector256.Create(8), limit).AsSingle(), hi, minusInfinity);
        var max = Vector256.Create(HorizontalMax(Vector256.Max(lo, hi)));
        lo = Exp(lo - max);
        hi = Exp(hi - max);
        var sum = Vector256.Create(Vector256.Sum(lo + hi));
        lo /= sum;
        hi /= sum;
    }

    private static float HorizontalMax(Vector256<float> v)
    {
        var m = Vector128.Max(v.GetLower(), v.GetUpper());
        m = Vector128.Max(m, Vector128.Shuffle(m, Vector128.Create(2, 3, 0, 1)));
        m = Vector128.Max(m, Vector128.Shuffle(m, Vector128.Create(1, 0, 3, 2)));
        return m.ToScalar();
    }

    /// <summary>
    /// Writes e^(x - shift) for each element and returns their sum, in one pass: softmax's numerator and denominator.
    /// The sum adds the lanes in a fixed order, so it is the same on every run.
    /// </summary>
    public static float ExpShiftedAndSum(ReadOnlySpan<float> x, float shift, Span<float> destination)
    {
        if (destination.Length < x.Length)
        {
            throw new ArgumentException("Destination is shorter than the input.", nameof(destination));
        }

        var total = Vector256<float>.Zero;
        var offset = Vector256.Create(shift);
        int i = 0;
        for (; i <= x.Length - 8; i += 8)
        {
            var e = Exp(Vector256.Create(x.Slice(i, 8)) - offset);
            e.CopyTo(destination.Slice(i, 8));
            total += e;
        }

        if (i < x.Length)
        {
            Span<float> tail = stackalloc float[8];
            tail.Fill(float.NegativeInfinity);
            x[i..].CopyTo(tail);
            var e = Exp(Vector256.Create((ReadOnlySpan<float>)tail) - offset); // padding lanes give e^-inf = 0
            for (int j = 0; i + j < x.Length; j++)
            {
                destination[i + j] = e[j];
            }

            total += e;
        }

        return Vector256.Sum(total);
    }

    /// <summary>e^x over a span (in place allowed), vectorised with a scalar-equivalent tail.</summary>
    public static void Exp(ReadOnlySpan<float> x, Span<float> destination) => Map(x, destination, &Exp);

    /// <summary>Sigmoid over a span (in place allowed).</summary>
    public static void Sigmoid(ReadOnlySpan<float> x, Span<float> destination)
    {
        if (destination.Length < x.Length)
        {
            throw new ArgumentException("Destination is shorter than the input.", nameof(destination));
        }

        fixed (float* px = x)
        fixed (float* py = destination)
        {
            Sigmoid(px, py, x.Length);
        }
    }

    private static unsafe void Map(ReadOnlySpan<float> x, Span<float> destination, delegate*<Vector256<float>, Vector256<float>> f)
    {
        if (destination.Length < x.Length)
        {
            throw new ArgumentException("Destination is shorter than the input.", nameof(destination));
        }

        int i = 0;
        for (; i <= x.Length - 8; i += 8)
        {
            f(Vector256.Create(x.Slice(i, 8))).CopyTo(destination.Slice(i, 8));
        }

        if (i < x.Length)
        {
            Span<float> tail = stackalloc float[8];
            tail.Clear();
            x[i..].CopyTo(tail);
            var y = f(Vector256.Create((ReadOnlySpan<float>)tail));
            for (int j = 0; i + j < x.Length; j++)
            {
                destination[i + j] = y[j];
            }
        }
    }
}
