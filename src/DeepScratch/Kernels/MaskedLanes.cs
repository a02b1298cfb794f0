using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepScratch.Kernels;

/// <summary>
/// Loads and stores of the first lanes of an 8-float vector, the rest of memory untouched (a row's ragged end):
/// AVX-512's masked moves where there are some (AVX's vmaskmovps is microcode on AMD processors), AVX's otherwise,
/// lane by lane where Vector256 is emulated (e.g. arm64).
/// </summary>
internal static unsafe class MaskedLanes
{
    /// <summary>A mask of lanes [0, count) (all bits set in a lane in use); none when count ≤ 0, all when count ≥ 8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> First(int count) =>
        Vector256.LessThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(count)).AsSingle();

    /// <summary>The lanes of <paramref name="mask"/> read from <paramref name="source"/>, the others 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(float* source, Vector256<float> mask)
    {
        if (Avx512F.VL.IsSupported)
        {
            return Avx512F.VL.MaskLoad(source, mask, Vector256<float>.Zero);
        }

        if (Avx.IsSupported)
        {
            return Avx.MaskLoad(source, mask);
        }

        var v = Vector256<float>.Zero;
        for (int j = 0; j < 8 && mask.GetElement(j) != 0f; j++)
        {
            v = v.WithElement(j, source[j]);
        }

        return v;
    }

    /// <summary>Stores the lanes of <paramref name="v"/> under <paramref name="mask"/> (a prefix, as <see cref="First"/> makes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* destination, Vector256<float> mask, Vector256<float> v)
    {
        if (Avx512F.VL.IsSupported)
        {
            Avx512F.VL.MaskStore(destination, mask, v);
            return;
        }

        if (Avx.IsSupported)
        {
            Avx.MaskStore(destination, mask, v);
            return;
        }

        for (int j = 0; j < 8 && mask.GetElement(j) != 0f; j++)
        {
            destination[j] = v.GetElement(j);
        }
    }
}
