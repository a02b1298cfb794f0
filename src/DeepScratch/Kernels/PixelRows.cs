using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepScratch.Kernels;

/// <summary>
/// The sparse-row kernel for pixel-byte A rows (MNIST images: ~81% of a single image's pixels are 0, against ~58% of
/// the k steps of a 6-row tile): each row lists its own non-zero pixels straight from the bytes, then
/// <c>acc[0..n) += x_p · B[p, 0..n)</c> runs over the listed p only, up to 64 columns in registers, two rows
/// interleaved so that their independent FMA chains hide each other's latency.
/// The arithmetic is that of the dense tile kernels with the zero steps skipped: one FMA chain per output element,
/// p ascending from a zero accumulator, in the same k chunks as <see cref="Gemm"/>, whose partial sums meet in the
/// same shared epilogue (<see cref="MicroKernels.StoreSixteen"/>). So results are bit-identical to the tile path (up to
/// the sign of a zero), whatever the batch size or thread count. Skipping 0·b is exact only for finite B
/// (<see cref="Operation.SkipZeroSteps"/>) and when byte 0 scales to +0 (<see cref="ZeroScalesToZero"/>).
/// </summary>
internal static unsafe class PixelRows
{
    /// <summary>Panels (16 columns each) held in registers at once: 64 columns, 4 accumulators per row.</summary>
    private const int BlockPanels = 4;

    private const int Panel = PackedMatrix.PanelWidth;

    /// <summary>
    /// Whether the scaling maps byte 0 to +0 exactly, checked on the scaling itself (its table and its vector path)
    /// rather than assumed: a skipped pixel must add nothing a kept one would have added.
    /// </summary>
    internal static readonly bool ZeroScalesToZero = CheckZero();

    /// <summary>
    /// Whether <paramref name="op"/> runs on this kernel: pixel-byte A, B checked finite when packed, byte 0 scaling to
    /// +0, the AVX-512 kernel set (whose 32 vector registers hold two rows of 64 columns), and k small enough that a
    /// listed pixel's code (panel offset &lt;&lt; 8 | byte) fits an int.
    /// </summary>
    public static bool Applies(in Operation op, KernelSet kernels) =>
        op.A.Kind == SourceKind.PixelBytes && op.SkipZeroSteps && kernels == KernelSet.Avx512 && ZeroScalesToZero && op.K <= MaxK;

    /// <summary>The largest k whose panel offsets (k·16) still fit a code's 23 bits: 524,287 pixels (a 724 x 724 image).</summary>
    internal const int MaxK = (int.MaxValue >> 8) / Panel;

    private static bool CheckZero()
    {
        byte* zeros = stackalloc byte[40];
        float* scaled = stackalloc float[40];
        new Span<byte>(zeros, 40).Clear();
        PixelScaling.Normalize(zeros, scaled, 40); // 32 through the 8-lane path, 8 through the scalar tail
        bool all = BitConverter.SingleToInt32Bits(PixelScaling.Table[0]) == 0; // the table the kernel scales through
        for (int i = 0; i < 40; i++)
        {
            all &= BitConverter.SingleToInt32Bits(scaled[i]) == 0;
        }

        return all;
    }

    /// <summary>
    /// Rows [start, end) of <paramref name="op"/> (which <see cref="Applies"/>), its k axis in <paramref name="chunks"/>
    /// chunks exactly as <see cref="Gemm"/> splits it.
    /// </summary>
    [SkipLocalsInit]
    // Optimised from the first call, as the kernels are: in a process that sees one processor, tiering left Run and
    // List on unoptimised code and the 1-thread MLP at 3.9 µs per image (2.2-2.4 µs with these two marked).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(in Operation op, int start, int end, int chunks)
    {
        int k = op.K, n = op.N;
        // The tile path's chunking (Gemm.RunConverted): equal chunks, the last one shorter.
        int chunkLength = (k + chunks - 1) / chunks;
        int panels = (n + Panel - 1) / Panel;
        int panelStride = k * Panel;
        int listLength = Math.Min(chunkLength, Gemm.MaxChunk) + 16;
        int* codes = stackalloc int[2 * listLength];
        float* parked = stackalloc float[2 * BlockPanels * Panel];
        fixed (float* table = PixelScaling.Table)
        {
            // Chunk, then column block, then rows: each row pair reuses the block's slice of packed B (at most
            // MaxChunk x 64 floats, 192 KB) from the level-2 cache; a wide B is listed once per block, a cheap pass.
            for (int pc = 0; pc < k; pc += chunkLength)
            {
                int kc = Math.Min(chunkLength, k - pc);
                bool last = pc + kc == k;
                float beta = pc == 0 ? op.Beta : 1f;
                var activation = last ? op.Activation : Activation.None;
                for (int q = 0; q < panels; q += BlockPanels)
                {
                    int blockPanels = Math.Min(BlockPanels, panels - q);
                    bool half = n - (q + blockPanels - 1) * Panel <= Panel / 2;
                    int j0 = q * Panel;
                    var e = new TileEpilogue(op.Alpha, beta, last && op.Bias != null ? op.Bias + j0 : null, activation);
                    for (int r = start; r < end; r += 2)
                    {
                        int rows = Math.Min(2, end - r);
                        byte* row0 = op.A.Bytes + (long)r * op.A.Stride;
                        float* c0 = op.C + (long)r * op.Ldc + j0;
                        int count0 = List(row0 + pc, kc, pc, codes);
                        int count1 = rows > 1 ? List(row0 + op.A.Stride + pc, kc, pc, codes + listLength) : 0;
                        Block(blockPanels, half, op.PackedB + (long)q * panelStride, panelStride,
                            codes, count0, codes + listLength, count1, table, parked);
                        for (int i = 0; i < blockPanels; i++)
                        {
                            int width = Math.Min(Panel, n - j0 - i * Panel);
                            float* tile = parked + i * Panel;
                            MicroKernels512.Store16(tile, c0 + i * Panel, width, e.Shifted(i * Panel));
                            if (rows > 1)
                            {
                                tile += BlockPanels * Panel;
                                MicroKernels512.Store16(tile, c0 + op.Ldc + i * Panel, width, e.Shifted(i * Panel));
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Lists the non-zero bytes of one row's chunk, each as one code: its offset in a packed panel (<c>(pc + p)·16</c>)
    /// shifted left 8 bits, or'd with the byte. The kernel scales the byte through <see cref="PixelScaling.Table"/>
    /// (equal to <see cref="PixelScaling.Normalize(byte*, float*, int)"/>, so x is the tile path's x): listing scaled
    /// floats beside the offsets cost a conversion, a scaling and a second compress per 16 pixels, a fifth of the MLP.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int List(byte* pixels, int kc, int pc, int* codes)
    {
        int count = 0;
        int p = 0;
        if (Avx512F.IsSupported)
        {
            // 16 pixels at a time, without a branch per pixel: the non-zero lanes' codes are compressed to
            // the front of a register (in register: compressing straight to memory is slow on Zen 4) and stored whole;
            // the next group's store overwrites the unused tail (the lists have 16 entries of slack).
            var lanes = Vector512.Create(0, 16, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240);
            // 64 pixels are tested at once first: an MNIST image's top and bottom rows and its margins are all 0.
            for (; p <= kc - 64; p += 64)
            {
                if (!Vector512.EqualsAll(Vector512.Load(pixels + p), Vector512<byte>.Zero))
                {
                    count = ListSixteen(pixels + p, (pc + p) * Panel, lanes, codes, count);
                    count = ListSixteen(pixels + p + 16, (pc + p + 16) * Panel, lanes, codes, count);
                    count = ListSixteen(pixels + p + 32, (pc + p + 32) * Panel, lanes, codes, count);
                    count = ListSixteen(pixels + p + 48, (pc + p + 48) * Panel, lanes, codes, count);
                }
            }

            for (; p <= kc - 16; p += 16)
            {
                count = ListSixteen(pixels + p, (pc + p) * Panel, lanes, codes, count);
            }
        }

        for (; p <= kc - 32; p += 32)
        {
            uint mask = ~Vector256.Equals(Vector256.Load(pixels + p), Vector256<byte>.Zero).ExtractMostSignificantBits();
            while (mask != 0)
            {
                int at = p + System.Numerics.BitOperations.TrailingZeroCount(mask);
                codes[count++] = (pc + at) * Panel << 8 | pixels[at];
                mask &= mask - 1;
            }
        }

        for (; p < kc; p++)
        {
            if (pixels[p] != 0)
            {
                codes[count++] = (pc + p) * Panel << 8 | pixels[p];
            }
        }

        return count;
    }

    /// <summary>
    /// Appends the non-zero ones of 16 pixels to the lists at <paramref name="count"/>; returns the new count. Without a
    /// branch on the pixels: a group with none stores 16 entries of slack and counts 0. Branching per group of 16 (and on
    /// each group of a 64-pixel run) mispredicted on the digits' strokes and cost 3-5% of the MLP.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ListSixteen(byte* pixels, int offset, Vector512<int> lanes, int* codes, int count)
    {
        var wide = Avx512F.ConvertToVector512Int32(Vector128.Load(pixels));
        var nonZero = ~Vector512.Equals(wide, Vector512<int>.Zero);
        ulong bits = nonZero.ExtractMostSignificantBits();
        Avx512F.Compress(Vector512<int>.Zero, nonZero, ((lanes + Vector512.Create(offset)) << 8) | wide).Store(codes + count);
        return count + System.Numerics.BitOperations.PopCount(bits);
    }

    /// <summary>Picks the kernel instance for a block of 1 to 4 panels, its last one half used or not.</summary>
    private static void Block(int blockPanels, bool half, float* b, int panelStride,
        int* o0, int n0, int* o1, int n1, float* table, float* parked)
    {
        switch (blockPanels, half)
        {
            case (1, false): Block<OneRow, WholePanel>(b, panelStride, o0, n0, o1, n1, table, parked); break;
            case (1, true): Block<OneRow, HalfPanel>(b, panelStride, o0, n0, o1, n1, table, parked); break;
            case (2, false): Block<TwoRows, WholePanel>(b, panelStride, o0, n0, o1, n1, table, parked); break;
            case (2, true): Block<TwoRows, HalfPanel>(b, panelStride, o0, n0, o1, n1, table, parked); break;
            case (3, false): Block<ThreeRows, WholePanel>(b, panelStride, o0, n0, o1, n1, table, parked); break;
            case (3, true): Block<ThreeRows, HalfPanel>(b, panelStride, o0, n0, o1, n1, table, parked); break;
            case (4, false): Block<FourRows, WholePanel>(b, panelStride, o0, n0, o1, n1, table, parked); break;
            default: Block<FourRows, HalfPanel>(b, panelStride, o0, n0, o1, n1, table, parked); break;
        }
    }

    /// <summary>
    /// Two rows' sums over their listed steps for <typeparamref name="TPanels"/> panels (16-float registers; the last in
    /// 8-float registers when <typeparamref name="THalf"/>, since at most 8 of its columns are in use and 8-float FMAs
    /// cost half on this processor). Rows are interleaved while both have steps left, then the longer one finishes
    /// alone; each row's chains are its own, so the interleaving changes no sum. Parks row 0 at
    /// <paramref name="parked"/> and row 1 64 floats further, 16 per panel (unused lanes 0).
    /// </summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block<TPanels, THalf>(float* b, int panelStride, int* o0, int n0, int* o1, int n1, float* table, float* parked)
        where TPanels : struct, IRowCount
        where THalf : struct, ILastPanel
    {
        int np = TPanels.Value;
        bool h = THalf.Value;
        float* b0 = b;
        float* b1 = b + (np > 1 ? panelStride : 0);
        float* b2 = b + (np > 2 ? 2 * panelStride : 0);
        float* b3 = b + (np > 3 ? 3 * panelStride : 0);
        var a0 = Vector512<float>.Zero; var a1 = Vector512<float>.Zero; var a2 = Vector512<float>.Zero; var a3 = Vector512<float>.Zero;
        var d0 = Vector512<float>.Zero; var d1 = Vector512<float>.Zero; var d2 = Vector512<float>.Zero; var d3 = Vector512<float>.Zero;
        var ah = Vector256<float>.Zero; var dh = Vector256<float>.Zero;
        int both = Math.Min(n0, n1);
        int t = 0;
        for (; t < both; t++)
        {
            int c0 = o0[t], c1 = o1[t];
            int p = c0 >> 8, s = c1 >> 8;
            var v = Vector512.Create(table[c0 & 255]);
            var w = Vector512.Create(table[c1 & 255]);
            if (np == 1 && h)
            {
                ah = Vector256.FusedMultiplyAdd(v.GetLower(), Vector256.Load(b0 + p), ah);
                dh = Vector256.FusedMultiplyAdd(w.GetLower(), Vector256.Load(b0 + s), dh);
            }
            else
            {
                a0 = Vector512.FusedMultiplyAdd(v, Vector512.Load(b0 + p), a0);
                d0 = Vector512.FusedMultiplyAdd(w, Vector512.Load(b0 + s), d0);
            }

            if (np == 2 && h)
            {
                ah = Vector256.FusedMultiplyAdd(v.GetLower(), Vector256.Load(b1 + p), ah);
                dh = Vector256.FusedMultiplyAdd(w.GetLower(), Vector256.Load(b1 + s), dh);
            }
            else if (np > 1)
            {
                a1 = Vector512.FusedMultiplyAdd(v, Vector512.Load(b1 + p), a1);
                d1 = Vector512.FusedMultiplyAdd(w, Vector512.Load(b1 + s), d1);
            }

            if (np == 3 && h)
            {
                ah = Vector256.FusedMultiplyAdd(v.GetLower(), Vector256.Load(b2 + p), ah);
                dh = Vector256.FusedMultiplyAdd(w.GetLower(), Vector256.Load(b2 + s), dh);
            }
            else if (np > 2)
            {
                a2 = Vector512.FusedMultiplyAdd(v, Vector512.Load(b2 + p), a2);
                d2 = Vector512.FusedMultiplyAdd(w, Vector512.Load(b2 + s), d2);
            }

            if (np == 4 && h)
            {
                ah = Vector256.FusedMultiplyAdd(v.GetLower(), Vector256.Load(b3 + p), ah);
                dh = Vector256.FusedMultiplyAdd(w.GetLower(), Vector256.Load(b3 + s), dh);
            }
            else if (np > 3)
            {
                a3 = Vector512.FusedMultiplyAdd(v, Vector512.Load(b3 + p), a3);
                d3 = Vector512.FusedMultiplyAdd(w, Vector512.Load(b3 + s), d3);
            }
        }

        // The longer row alone (at most one of these loops runs).
        for (int u = t; u < n0; u++)
        {
            int p = o0[u] >> 8;
            var v = Vector512.Create(table[o0[u] & 255]);
            if (np == 1 && h) { ah = Vector256.FusedMultiplyAdd(v.GetLower(), Vector256.Load(b0 + p), ah); }
            else { a0 = Vector512.FusedMultiplyAdd(v, Vector512.Load(b0 + p), a0); }
            if (np == 2 && h) { ah = Vector256.FusedMultiplyAdd(v.GetLower(), Vector256.Load(b1 + p), ah); }
            else if (np > 1) { a1 = Vector512.FusedMultiplyAdd(v, Vector512.Load(b1 + p), a1); }
            if (np == 3 && h) { ah = Vector256.FusedMultiplyAdd(v.GetLower(), Vector256.Load(b2 + p), ah); }
            else if (np > 2) { a2 = Vector512.FusedMultiplyAdd(v, Vector512.Load(b2 + p), a2); }
            if (np == 4 && h) { ah = Vector256.FusedMultiplyAdd(v.GetLower(), Vector256.Load(b3 + p), ah); }
            else if (np > 3) { a3 = Vector512.FusedMultiplyAdd(v, Vector512.Load(b3 + p), a3); }
        }

        for (int u = t; u < n1; u++)
        {
            int s = o1[u] >> 8;
            var w = Vector512.Create(table[o1[u] & 255]);
            if (np == 1 && h) { dh = Vector256.FusedMultiplyAdd(w.GetLower(), Vector256.Load(b0 + s), dh); }
            else { d0 = Vector512.FusedMultiplyAdd(w, Vector512.Load(b0 + s), d0); }
            if (np == 2 && h) { dh = Vector256.FusedMultiplyAdd(w.GetLower(), Vector256.Load(b1 + s), dh); }
            else if (np > 1) { d1 = Vector512.FusedMultiplyAdd(w, Vector512.Load(b1 + s), d1); }
            if (np == 3 && h) { dh = Vector256.FusedMultiplyAdd(w.GetLower(), Vector256.Load(b2 + s), dh); }
            else if (np > 2) { d2 = Vector512.FusedMultiplyAdd(w, Vector512.Load(b2 + s), d2); }
            if (np == 4 && h) { dh = Vector256.FusedMultiplyAdd(w.GetLower(), Vector256.Load(b3 + s), dh); }
            else if (np > 3) { d3 = Vector512.FusedMultiplyAdd(w, Vector512.Load(b3 + s), d3); }
        }

        // The half panel's sums go where its 16-float accumulator would have been, its upper 8 lanes 0.
        float* e0 = parked, e1 = parked + BlockPanels * Panel;
        a0.Store(e0); a1.Store(e0 + 16); a2.Store(e0 + 32); a3.Store(e0 + 48);
        d0.Store(e1); d1.Store(e1 + 16); d2.Store(e1 + 32); d3.Store(e1 + 48);
        if (h)
        {
            int at = (np - 1) * Panel;
            ah.Store(e0 + at); Vector256<float>.Zero.Store(e0 + at + 8);
            dh.Store(e1 + at); Vector256<float>.Zero.Store(e1 + at + 8);
        }
    }
}

/// <summary>Whether a block's last panel is at most half used, as a type: the JIT removes the branch not taken.</summary>
internal interface ILastPanel
{
    /// <summary>True when the last panel is held in an 8-float register.</summary>
    static abstract bool Value { get; }
}

/// <summary>The last panel has at most 8 columns in use.</summary>
internal readonly struct HalfPanel : ILastPanel
{
    /// <inheritdoc/>
    public static bool Value => true;
}

/// <summary>The last panel has more than 8 columns in use.</summary>
internal readonly struct WholePanel : ILastPanel
{
    /// <inheritdoc/>
    public static bool Value => false;
}
