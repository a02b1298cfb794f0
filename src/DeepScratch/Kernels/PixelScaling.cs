using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DeepScratch.Kernels;

/// <summary>
/// MNIST bytes to the book's normalised floats (<c>load_mnist(normalize=True)</c>): the one place that divides pixels
/// by 255, shared by the data loader and the GEMM kernels that convert pixels as they read them.
/// </summary>
internal static unsafe class PixelScaling
{
    /// <summary>pixel / 255 for each byte value: short runs (a filter row of one channel) read it instead of dividing.</summary>
    public static readonly float[] Table = Enumerable.Range(0, 256).Select(b => b / 255f).ToArray();

    /// <summary>
    /// pixel / 255, bit-identical to a true division (numpy's <c>x / 255.0</c>) but without its latency: q = x·(1/255)
    /// alone is off by one ulp for 126 of the 256 byte values, so one FMA step corrects it, q' = q + (x − 255q)·(1/255).
    /// That this equals x / 255f for every byte is checked exhaustively by the tests.
    /// </summary>
    public static void Normalize(byte* src, float* dst, int count)
    {
        int i = 0;
        for (; i <= count - 32; i += 32)
        {
            var (lo, hi) = Vector256.Widen(Vector256.Load(src + i));
            var (a, b) = Vector256.Widen(lo);
            var (c, d) = Vector256.Widen(hi);
            Scale(Vector256.ConvertToSingle(a.AsInt32())).Store(dst + i);
            Scale(Vector256.ConvertToSingle(b.AsInt32())).Store(dst + i + 8);
            Scale(Vector256.ConvertToSingle(c.AsInt32())).Store(dst + i + 16);
            Scale(Vector256.ConvertToSingle(d.AsInt32())).Store(dst + i + 24);
        }

        for (; i < count; i++)
        {
            dst[i] = src[i] / 255f;
        }
    }

    /// <summary>x / 255 for whole-number lanes 0..255, as <see cref="Normalize(byte*, float*, int)"/> computes it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Scale(Vector256<float> x)
    {
        var reciprocal = Vector256.Create(1f / 255f);
        var q = x * reciprocal;
        return Vector256.FusedMultiplyAdd(Vector256.FusedMultiplyAdd(q, Vector256.Create(-255f), x), reciprocal, q);
    }

    /// <summary>pixel / 255 for every byte of <paramref name="pixels"/> into <paramref name="destination"/>.</summary>
    public static void Normalize(ReadOnlySpan<byte> pixels, Span<float> destination)
    {
        if (destination.Length < pixels.Length)
        {
            throw new ArgumentException("Destination is shorter than the pixels.", nameof(destination));
        }

        fixed (byte* src = pixels)
        fixed (float* dst = destination)
        {
            Normalize(src, dst, pixels.Length);
        }
    }
}
