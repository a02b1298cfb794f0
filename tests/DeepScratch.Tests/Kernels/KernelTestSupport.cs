using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using DeepScratch.Kernels;

namespace DeepScratch.Tests.Kernels;

/// <summary>Operands, a pinned runner for <see cref="Gemm.Run(in Operation, KernelSet)"/> and bit-level assertions shared by the kernel tests.</summary>
internal static unsafe class KernelTestSupport
{
    /// <summary>Values a kernel must never read: any of them leaking into a result turns it into NaN.</summary>
    public const float Poison = float.NaN;

    /// <summary>Fills the padding of C: a kernel that writes past column n overwrites it.</summary>
    public const float Sentinel = -12345.5f;

    /// <summary>The kernel sets whose code is plain Vector256 / Vector512 and so runs on every machine (in hardware or emulated).</summary>
    public static readonly KernelSet[] VectorSets = [KernelSet.Avx2, KernelSet.Avx512];

    /// <summary>Whether <paramref name="set"/> runs on the processor's own instructions here, for the test output.</summary>
    public static string Describe(KernelSet set) => set switch
    {
        KernelSet.Avx2 => Fma.IsSupported && Vector256.IsHardwareAccelerated
            ? "AVX2 kernels: running on hardware AVX2 + FMA"
            : "AVX2 kernels: this processor lacks AVX2 + FMA, so the Vector256 code runs in software emulation (same arithmetic, slower)",
        KernelSet.Avx512 => Vector512.IsHardwareAccelerated && Fma.IsSupported
            ? "AVX-512 kernels: running on hardware AVX-512"
            : "AVX-512 kernels: this processor lacks AVX-512, so the Vector512 code runs in software emulation (same arithmetic, slower)",
        _ => "portable kernels (TensorPrimitives)",
    };

    public static float[] RandomArray(Random random, int length, float min = -1f, float max = 1f)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)(min + random.NextDouble() * (max - min));
        }

        return values;
    }

    /// <summary>A rows x cols matrix stored with leading dimension <paramref name="ld"/>; the padding holds <paramref name="padding"/>.</summary>
    public static float[] RandomMatrix(Random random, int rows, int cols, int ld, float padding)
    {
        var values = new float[Math.Max(1, rows * ld)];
        Array.Fill(values, padding);
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++)
            {
                values[i * ld + j] = (float)(random.NextDouble() * 2 - 1);
            }
        }

        return values;
    }

    /// <summary>C = epilogue(alpha · op(A) · op(B) + beta · C) on the chosen kernels, B packed from its stored form.</summary>
    public static void Run(
        KernelSet set, int m, int n, int k, float alpha,
        float[] a, int lda, Transpose transA, float[] b, int ldb, Transpose transB,
        float beta, float[] c, int ldc, float[]? paddedBias = null, Activation activation = Activation.None)
    {
        var packed = PackedMatrix.Pack(b, ldb, transB, k, n);
        fixed (float* pa = a)
        fixed (float* pb = &packed.Data[packed.Offset])
        fixed (float* pc = c)
        fixed (float* pbias = paddedBias)
        {
            var source = transA == Transpose.No ? MatrixSource.RowMajor(pa, lda) : MatrixSource.Transposed(pa, lda);
            Gemm.Run(new Operation(m, n, k, source, packed, pb, alpha, beta, pc, ldc, paddedBias is null ? null : pbias, activation), set);
        }
    }

    /// <summary>Fails at the first element whose bits differ (so +0 and -0, or two NaN payloads, count as different).</summary>
    public static void AssertBitIdentical(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {expected.Length} expected elements, {actual.Length} actual");
        var e = MemoryMarshal.Cast<float, int>(expected);
        var a = MemoryMarshal.Cast<float, int>(actual);
        for (int i = 0; i < e.Length; i++)
        {
            if (e[i] != a[i])
            {
                int differing = 0;
                for (int j = i; j < e.Length; j++)
                {
                    differing += e[j] != a[j] ? 1 : 0;
                }

                Assert.Fail($"{what}: {differing} of {e.Length} elements differ; first at {i}: expected {expected[i]:R} (0x{e[i]:X8}), got {actual[i]:R} (0x{a[i]:X8})");
            }
        }
    }

    /// <summary>
    /// Compares the m x n results with the double-precision reference (float32 rounding grows with k, as in GemmTests)
    /// and checks that C's padding columns still hold <see cref="Sentinel"/>.
    /// </summary>
    public static void AssertMatchesReference(float[] expected, float[] actual, int m, int n, int ldc, int k, string what)
    {
        float tolerance = 1e-5f * MathF.Sqrt(k) + 1e-6f;
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < ldc; j++)
            {
                float e = expected[i * ldc + j];
                float a = actual[i * ldc + j];
                if (j >= n)
                {
                    if (BitConverter.SingleToInt32Bits(a) != BitConverter.SingleToInt32Bits(Sentinel))
                    {
                        Assert.Fail($"{what}: C padding ({i}, {j}) was overwritten with {a}");
                    }

                    continue;
                }

                if (!(MathF.Abs(e - a) <= tolerance * MathF.Max(1f, MathF.Abs(e))))
                {
                    Assert.Fail($"{what}: element ({i}, {j}): expected {e}, got {a} (tolerance {tolerance})");
                }
            }
        }
    }

    /// <summary>Distance in units in the last place, counting through zero (+0 and -0 are the same point).</summary>
    public static long UlpDistance(float expected, float actual)
    {
        if (float.IsNaN(expected) || float.IsNaN(actual))
        {
            return float.IsNaN(expected) && float.IsNaN(actual) ? 0 : long.MaxValue;
        }

        return Math.Abs(Ordered(expected) - Ordered(actual));
    }

    /// <summary>Maps a float's bits onto a line where neighbouring floats are neighbouring integers.</summary>
    private static long Ordered(float value)
    {
        int bits = BitConverter.SingleToInt32Bits(value);
        return bits >= 0 ? bits : -(long)(bits & int.MaxValue);
    }
}
