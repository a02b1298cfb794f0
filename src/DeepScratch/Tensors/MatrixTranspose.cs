using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using DeepScratch.Kernels;

namespace DeepScratch.Tensors;

/// <summary>
/// A row-major (rows, cols) matrix copied transposed into (cols, rows), in 8x8 tiles (AVX in-register transposes
/// where available, a plain loop at the edges), column strips in parallel when large: the backward passes' xᵀ as a
/// stored matrix, which the GEMM reads row by row, instead of a scalar column-by-column copy inside every product.
/// </summary>
internal static unsafe class MatrixTranspose
{
    private const int Tile = 8;

    /// <summary>dst[c, r] = src[r, c] for a (rows, cols) source; the spans must not overlap.</summary>
    /// <exception cref="ArgumentException">A span is shorter than rows·cols.</exception>
    public static void Run(ReadOnlySpan<float> source, int rows, int cols, Span<float> destination)
    {
        long length = (long)rows * cols;
        if (source.Length < length || destination.Length < length)
        {
            throw new ArgumentException($"Transposing ({rows}, {cols}) needs {length} values in and out; got {source.Length} and {destination.Length}.");
        }

        fixed (float* s = source)
        fixed (float* d = destination)
        {
            var job = new Job { Source = s, Destination = d, Rows = rows, Cols = cols };
            int strips = (cols + StripWidth - 1) / StripWidth;
            if (length < 1 << 16)
            {
                for (int strip = 0; strip < strips; strip++)
                {
                    Strip(&job, strip);
                }

                return;
            }

            WorkerPool.Run(&Strip, &job, strips);
        }
    }

    private const int StripWidth = 64;

    /// <summary>Source columns [strip·64, strip·64 + 64): destination rows of the same numbers.</summary>
    private static void Strip(void* state, int strip)
    {
        var j = (Job*)state;
        int rows = j->Rows, cols = j->Cols;
        float* s = j->Source, d = j->Destination;
        int c0 = strip * StripWidth, c1 = Math.Min(cols, c0 + StripWidth);
        int r = 0;
        if (Avx.IsSupported)
        {
            for (; r + Tile <= rows; r += Tile)
            {
                int c = c0;
                for (; c + Tile <= c1; c += Tile)
                {
                    Tile8(s + (long)r * cols + c, cols, d + (long)c * rows + r, rows);
                }

                for (; c < c1; c++)
                {
                    for (int i = 0; i < Tile; i++)
                    {
                        d[(long)c * rows + r + i] = s[(long)(r + i) * cols + c];
                    }
                }
            }
        }

        for (; r < rows; r++)
        {
            for (int c = c0; c < c1; c++)
            {
                d[(long)c * rows + r] = s[(long)r * cols + c];
            }
        }
    }

    /// <summary>One 8x8 tile through registers: the classic unpack / shuffle / lane-permute transpose.</summary>
    private static void Tile8(float* s, int lds, float* d, int ldd)
    {
        var r0 = Avx.LoadVector256(s);
        var r1 = Avx.LoadVector256(s + lds);
        var r2 = Avx.LoadVector256(s + 2 * lds);
        var r3 = Avx.LoadVector256(s + 3 * lds);
        var r4 = Avx.LoadVector256(s + 4 * lds);
        var r5 = Avx.LoadVector256(s + 5 * lds);
        var r6 = Avx.LoadVector256(s + 6 * lds);
        var r7 = Avx.LoadVector256(s + 7 * lds);
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0b01_00_01_00);
        var u1 = Avx.Shuffle(t0, t2, 0b11_10_11_10);
        var u2 = Avx.Shuffle(t1, t3, 0b01_00_01_00);
        var u3 = Avx.Shuffle(t1, t3, 0b11_10_11_10);
        var u4 = Avx.Shuffle(t4, t6, 0b01_00_01_00);
        var u5 = Avx.Shuffle(t4, t6, 0b11_10_11_10);
        var u6 = Avx.Shuffle(t5, t7, 0b01_00_01_00);
        var u7 = Avx.Shuffle(t5, t7, 0b11_10_11_10);
        Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(d + ldd, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(d + 2 * ldd, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(d + 3 * ldd, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(d + 4 * ldd, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(d + 5 * ldd, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(d + 6 * ldd, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(d + 7 * ldd, Avx.Permute2x128(u3, u7, 0x31));
    }

    private struct Job
    {
        public float* Source;
        public float* Destination;
        public int Rows;
        public int Cols;
    }
}
