using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DeepScratch.Kernels;

/// <summary>
/// The large-product path on AVX-512: each row block's A is packed, per k chunk, into contiguous tiles of
/// <see cref="TileRows"/> rows (element (r, p) of a tile at <c>p·TileRows + r</c>), so the micro-kernel streams one
/// A panel and two B panels instead of reading TileRows strided rows of A in place. Every element is still summed
/// p ascending from zero with one FMA per step over the same k chunks, and finished by the same epilogue
/// (<see cref="MicroKernels.StoreSixteen"/>), so results are bit-identical to the unpacked kernels and to any thread count.
/// </summary>
internal static unsafe class PackedAGemm
{
    /// <summary>
    /// Rows of the register tile: 12 x 32 (24 of the 32 zmm registers accumulate; 14 loads per 24 FMAs). In one run of
    /// 6, 8 and 12 rows (process CPU time per 2048³ product under a load of ~20: 12 x 32 with 256 KB B blocks 219-222 ms,
    /// A in place 219-223, 8 x 32 229-233, 6 x 32 228-238) only 12 rows kept up with reading A in place; settable so
    /// the comparison can be repeated.
    /// </summary>
    internal static int TileRows { get; set; } = 12;

    /// <summary>
    /// Rows of A packed at a time (a multiple of 6, 8 and 12). Whole row blocks by default: groups of 48 rows, which
    /// would keep A and B together in the level-2 cache, re-read each B block from L3 per group and measured 9% slower.
    /// </summary>
    internal static int GroupRows { get; set; } = int.MaxValue;

    /// <summary>
    /// Bytes of packed B one column block may span: half of <see cref="Gemm.MaxPanelBytes"/>, since the packed A of the
    /// row block shares the 1 MiB level-2 cache with it (2048³: blocks of 252-264 rows x 683 k, up to 721 KB;
    /// 512³: 252-260 rows x 512, up to 532 KB); settable so the benchmark can compare.
    /// </summary>
    internal static int PanelBytes { get; set; } = Gemm.MaxPanelBytes / 2;

    /// <summary>Below this many columns A is reused by too few panels to repay packing it: the in-place kernels run.</summary>
    internal const int MinColumns = 128;

    private const int Panel = PackedMatrix.PanelWidth;

    /// <summary>Per-thread buffer for the packed A tiles of one row block and k chunk; grown, never shrunk.</summary>
    [ThreadStatic]
    private static float[]? t_panels;

    /// <summary>Whether the packed-A path takes this operation: float A (plain or transposed), wide enough C, ≥ one tile of rows.</summary>
    public static bool Applies(in Operation op, int rows, KernelSet kernels) =>
        kernels == KernelSet.Avx512 && op.N >= MinColumns && rows >= TileRows
        && op.A.Kind is SourceKind.Floats or SourceKind.TransposedFloats;

    /// <summary>
    /// Computes the whole tiles of rows [start, start + rows) (the first rows − rows mod TileRows) and returns how many
    /// rows it did; the caller computes the rest on the in-place kernels.
    /// </summary>
    public static int RunRows(in Operation op, int start, int rows, int chunks)
    {
        int mr = TileRows;
        int tiles = rows / mr;
        int chunkLength = (op.K + chunks - 1) / chunks;
        int need = Math.Min(tiles, Math.Max(1, GroupRows / mr)) * mr * chunkLength;
        var buffer = t_panels is { } existing && existing.Length >= need ? existing : t_panels = new float[need];
        int panels = (op.N + Panel - 1) / Panel;
        int panelStride = op.K * Panel;
        fixed (float* packed = buffer)
        {
            for (int pc = 0; pc < op.K; pc += chunkLength)
            {
                int kc = Math.Min(chunkLength, op.K - pc);
                bool last = pc + kc == op.K;
                float beta = pc == 0 ? op.Beta : 1f;
                var activation = last ? op.Activation : Activation.None;
                float* bChunk = op.PackedB + pc * Panel;
                // Tiles in groups of GroupRows rows (by default the whole row block): each group's A is packed once per
                // k chunk and reused by every column block of B.
                int groupTiles = Math.Max(1, GroupRows / mr);
                for (int t0 = 0; t0 < tiles; t0 += groupTiles)
                {
                    int t1 = Math.Min(tiles, t0 + groupTiles);
                    PackTiles(op.A, start + t0 * mr, t1 - t0, mr, pc, kc, packed);

                    // Column blocks as in Gemm.RunConverted: their slice of packed B stays in the level-2 cache beside A.
                    int blockPanels = Math.Max(2, PanelBytes / (kc * Panel * sizeof(float)) / 2 * 2);
                    for (int q0 = 0; q0 < panels; q0 += blockPanels)
                    {
                        int q1 = Math.Min(panels, q0 + blockPanels);
                        for (int t = t0; t < t1; t++)
                        {
                            float* aTile = packed + (long)(t - t0) * mr * kc;
                            float* cRow = op.C + (long)(start + t * mr) * op.Ldc;
                            RunTileRow(op, mr, kc, aTile, bChunk, panelStride, panels, cRow, q0, q1, beta, last, activation);
                        }
                    }
                }
            }
        }

        return tiles * mr;
    }

    /// <summary>One packed tile of mr rows against column panels [q0, q1), two at a time.</summary>
    private static void RunTileRow(in Operation op, int mr, int kc, float* aTile, float* bChunk, int panelStride, int panels,
        float* cRow, int q0, int q1, float beta, bool last, Activation activation)
    {
        for (int q = q0; q < q1; q += 2)
        {
            int j0 = q * Panel;
            var e = new TileEpilogue(op.Alpha, beta, last && op.Bias != null ? op.Bias + j0 : null, activation);
            int cols = Math.Min(2 * Panel, op.N - j0);
            float* bq = bChunk + (long)q * panelStride;
            bool two = q + 1 < panels;
            switch (mr)
            {
                case 6 when two: Tile6x32(kc, aTile, bq, panelStride, cRow + j0, op.Ldc, mr, cols, e); break;
                case 6: Tile6x16(kc, aTile, bq, panelStride, cRow + j0, op.Ldc, mr, cols, e); break;
                case 12 when two: Tile12x32(kc, aTile, bq, panelStride, cRow + j0, op.Ldc, mr, cols, e); break;
                case 12: Tile12x16(kc, aTile, bq, panelStride, cRow + j0, op.Ldc, mr, cols, e); break;
                default:
                    if (two)
                    {
                        Tile8x32(kc, aTile, bq, panelStride, cRow + j0, op.Ldc, mr, cols, e);
                    }
                    else
                    {
                        Tile8x16(kc, aTile, bq, panelStride, cRow + j0, op.Ldc, mr, cols, e);
                    }

                    break;
            }
        }
    }

    /// <summary>Writes rows [start, start + tiles·mr) of op(A), k columns [pc, pc + kc), as tiles: (r, p) at t·mr·kc + p·mr + r.</summary>
    private static void PackTiles(in MatrixSource a, int start, int tiles, int mr, int pc, int kc, float* destination)
    {
        for (int t = 0; t < tiles; t++)
        {
            float* dst = destination + (long)t * mr * kc;
            int row0 = start + t * mr;
            if (a.Kind == SourceKind.TransposedFloats)
            {
                // Stored row p holds element p of every row: the tile's mr values at step p are contiguous.
                for (int p = 0; p < kc; p++)
                {
                    float* src = a.Floats + (long)(pc + p) * a.Stride + row0;
                    for (int r = 0; r < mr; r++)
                    {
                        dst[p * mr + r] = src[r];
                    }
                }
            }
            else
            {
                for (int r = 0; r < mr; r++)
                {
                    float* src = a.Floats + (long)(row0 + r) * a.Stride + pc;
                    for (int p = 0; p < kc; p++)
                    {
                        dst[p * mr + r] = src[p];
                    }
                }
            }
        }
    }

    /// <summary>C ⟵ epilogue(alpha · A·B (+ beta · C)) for a 6 x 32 tile on packed A (first <paramref name="rows"/> rows stored).</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile6x32(int kc, float* a, float* b, int panelStride, float* c, int ldc, int rows, int cols, in TileEpilogue e)
    {
        float* b0p = b;
        float* b1p = b + panelStride;
        var c00 = Vector512<float>.Zero; var c01 = Vector512<float>.Zero;
        var c10 = Vector512<float>.Zero; var c11 = Vector512<float>.Zero;
        var c20 = Vector512<float>.Zero; var c21 = Vector512<float>.Zero;
        var c30 = Vector512<float>.Zero; var c31 = Vector512<float>.Zero;
        var c40 = Vector512<float>.Zero; var c41 = Vector512<float>.Zero;
        var c50 = Vector512<float>.Zero; var c51 = Vector512<float>.Zero;
        for (int p = 0; p < kc; p++, a += 6)
        {
            var b0 = Vector512.Load(b0p + p * Panel);
            var b1 = Vector512.Load(b1p + p * Panel);
            var v0 = Vector512.Create(a[0]); c00 = Vector512.FusedMultiplyAdd(v0, b0, c00); c01 = Vector512.FusedMultiplyAdd(v0, b1, c01);
            var v1 = Vector512.Create(a[1]); c10 = Vector512.FusedMultiplyAdd(v1, b0, c10); c11 = Vector512.FusedMultiplyAdd(v1, b1, c11);
            var v2 = Vector512.Create(a[2]); c20 = Vector512.FusedMultiplyAdd(v2, b0, c20); c21 = Vector512.FusedMultiplyAdd(v2, b1, c21);
            var v3 = Vector512.Create(a[3]); c30 = Vector512.FusedMultiplyAdd(v3, b0, c30); c31 = Vector512.FusedMultiplyAdd(v3, b1, c31);
            var v4 = Vector512.Create(a[4]); c40 = Vector512.FusedMultiplyAdd(v4, b0, c40); c41 = Vector512.FusedMultiplyAdd(v4, b1, c41);
            var v5 = Vector512.Create(a[5]); c50 = Vector512.FusedMultiplyAdd(v5, b0, c50); c51 = Vector512.FusedMultiplyAdd(v5, b1, c51);
        }

        // Park the accumulators before any call: a vector live across a call is spilled on every loop iteration.
        float* tile = stackalloc float[192];
        c00.Store(tile + 0); c01.Store(tile + 16);
        c10.Store(tile + 32); c11.Store(tile + 48);
        c20.Store(tile + 64); c21.Store(tile + 80);
        c30.Store(tile + 96); c31.Store(tile + 112);
        c40.Store(tile + 128); c41.Store(tile + 144);
        c50.Store(tile + 160); c51.Store(tile + 176);
        int width0 = Math.Min(Panel, cols - 0);
        var e0 = e.Shifted(0);
        Emit(tile + 0, c + 0 * ldc + 0, 0, rows, width0, e0);
        Emit(tile + 32, c + 1 * ldc + 0, 1, rows, width0, e0);
        Emit(tile + 64, c + 2 * ldc + 0, 2, rows, width0, e0);
        Emit(tile + 96, c + 3 * ldc + 0, 3, rows, width0, e0);
        Emit(tile + 128, c + 4 * ldc + 0, 4, rows, width0, e0);
        Emit(tile + 160, c + 5 * ldc + 0, 5, rows, width0, e0);
        int width1 = Math.Min(Panel, cols - 16);
        var e1 = e.Shifted(16);
        Emit(tile + 16, c + 0 * ldc + 16, 0, rows, width1, e1);
        Emit(tile + 48, c + 1 * ldc + 16, 1, rows, width1, e1);
        Emit(tile + 80, c + 2 * ldc + 16, 2, rows, width1, e1);
        Emit(tile + 112, c + 3 * ldc + 16, 3, rows, width1, e1);
        Emit(tile + 144, c + 4 * ldc + 16, 4, rows, width1, e1);
        Emit(tile + 176, c + 5 * ldc + 16, 5, rows, width1, e1);
    }

    /// <summary>C ⟵ epilogue(alpha · A·B (+ beta · C)) for a 6 x 16 tile on packed A (first <paramref name="rows"/> rows stored).</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile6x16(int kc, float* a, float* b, int panelStride, float* c, int ldc, int rows, int cols, in TileEpilogue e)
    {
        float* b0p = b;
        var c00 = Vector512<float>.Zero;
        var c10 = Vector512<float>.Zero;
        var c20 = Vector512<float>.Zero;
        var c30 = Vector512<float>.Zero;
        var c40 = Vector512<float>.Zero;
        var c50 = Vector512<float>.Zero;
        for (int p = 0; p < kc; p++, a += 6)
        {
            var b0 = Vector512.Load(b0p + p * Panel);
            var v0 = Vector512.Create(a[0]); c00 = Vector512.FusedMultiplyAdd(v0, b0, c00);
            var v1 = Vector512.Create(a[1]); c10 = Vector512.FusedMultiplyAdd(v1, b0, c10);
            var v2 = Vector512.Create(a[2]); c20 = Vector512.FusedMultiplyAdd(v2, b0, c20);
            var v3 = Vector512.Create(a[3]); c30 = Vector512.FusedMultiplyAdd(v3, b0, c30);
            var v4 = Vector512.Create(a[4]); c40 = Vector512.FusedMultiplyAdd(v4, b0, c40);
            var v5 = Vector512.Create(a[5]); c50 = Vector512.FusedMultiplyAdd(v5, b0, c50);
        }

        // Park the accumulators before any call: a vector live across a call is spilled on every loop iteration.
        float* tile = stackalloc float[192];
        c00.Store(tile + 0);
        c10.Store(tile + 32);
        c20.Store(tile + 64);
        c30.Store(tile + 96);
        c40.Store(tile + 128);
        c50.Store(tile + 160);
        int width0 = Math.Min(Panel, cols - 0);
        var e0 = e.Shifted(0);
        Emit(tile + 0, c + 0 * ldc + 0, 0, rows, width0, e0);
        Emit(tile + 32, c + 1 * ldc + 0, 1, rows, width0, e0);
        Emit(tile + 64, c + 2 * ldc + 0, 2, rows, width0, e0);
        Emit(tile + 96, c + 3 * ldc + 0, 3, rows, width0, e0);
        Emit(tile + 128, c + 4 * ldc + 0, 4, rows, width0, e0);
        Emit(tile + 160, c + 5 * ldc + 0, 5, rows, width0, e0);
    }

    /// <summary>C ⟵ epilogue(alpha · A·B (+ beta · C)) for a 8 x 32 tile on packed A (first <paramref name="rows"/> rows stored).</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile8x32(int kc, float* a, float* b, int panelStride, float* c, int ldc, int rows, int cols, in TileEpilogue e)
    {
        float* b0p = b;
        float* b1p = b + panelStride;
        var c00 = Vector512<float>.Zero; var c01 = Vector512<float>.Zero;
        var c10 = Vector512<float>.Zero; var c11 = Vector512<float>.Zero;
        var c20 = Vector512<float>.Zero; var c21 = Vector512<float>.Zero;
        var c30 = Vector512<float>.Zero; var c31 = Vector512<float>.Zero;
        var c40 = Vector512<float>.Zero; var c41 = Vector512<float>.Zero;
        var c50 = Vector512<float>.Zero; var c51 = Vector512<float>.Zero;
        var c60 = Vector512<float>.Zero; var c61 = Vector512<float>.Zero;
        var c70 = Vector512<float>.Zero; var c71 = Vector512<float>.Zero;
        for (int p = 0; p < kc; p++, a += 8)
        {
            var b0 = Vector512.Load(b0p + p * Panel);
            var b1 = Vector512.Load(b1p + p * Panel);
            var v0 = Vector512.Create(a[0]); c00 = Vector512.FusedMultiplyAdd(v0, b0, c00); c01 = Vector512.FusedMultiplyAdd(v0, b1, c01);
            var v1 = Vector512.Create(a[1]); c10 = Vector512.FusedMultiplyAdd(v1, b0, c10); c11 = Vector512.FusedMultiplyAdd(v1, b1, c11);
            var v2 = Vector512.Create(a[2]); c20 = Vector512.FusedMultiplyAdd(v2, b0, c20); c21 = Vector512.FusedMultiplyAdd(v2, b1, c21);
            var v3 = Vector512.Create(a[3]); c30 = Vector512.FusedMultiplyAdd(v3, b0, c30); c31 = Vector512.FusedMultiplyAdd(v3, b1, c31);
            var v4 = Vector512.Create(a[4]); c40 = Vector512.FusedMultiplyAdd(v4, b0, c40); c41 = Vector512.FusedMultiplyAdd(v4, b1, c41);
            var v5 = Vector512.Create(a[5]); c50 = Vector512.FusedMultiplyAdd(v5, b0, c50); c51 = Vector512.FusedMultiplyAdd(v5, b1, c51);
            var v6 = Vector512.Create(a[6]); c60 = Vector512.FusedMultiplyAdd(v6, b0, c60); c61 = Vector512.FusedMultiplyAdd(v6, b1, c61);
            var v7 = Vector512.Create(a[7]); c70 = Vector512.FusedMultiplyAdd(v7, b0, c70); c71 = Vector512.FusedMultiplyAdd(v7, b1, c71);
        }

        // Park the accumulators before any call: a vector live across a call is spilled on every loop iteration.
        float* tile = stackalloc float[256];
        c00.Store(tile + 0); c01.Store(tile + 16);
        c10.Store(tile + 32); c11.Store(tile + 48);
        c20.Store(tile + 64); c21.Store(tile + 80);
        c30.Store(tile + 96); c31.Store(tile + 112);
        c40.Store(tile + 128); c41.Store(tile + 144);
        c50.Store(tile + 160); c51.Store(tile + 176);
        c60.Store(tile + 192); c61.Store(tile + 208);
        c70.Store(tile + 224); c71.Store(tile + 240);
        int width0 = Math.Min(Panel, cols - 0);
        var e0 = e.Shifted(0);
        Emit(tile + 0, c + 0 * ldc + 0, 0, rows, width0, e0);
        Emit(tile + 32, c + 1 * ldc + 0, 1, rows, width0, e0);
        Emit(tile + 64, c + 2 * ldc + 0, 2, rows, width0, e0);
        Emit(tile + 96, c + 3 * ldc + 0, 3, rows, width0, e0);
        Emit(tile + 128, c + 4 * ldc + 0, 4, rows, width0, e0);
        Emit(tile + 160, c + 5 * ldc + 0, 5, rows, width0, e0);
        Emit(tile + 192, c + 6 * ldc + 0, 6, rows, width0, e0);
        Emit(tile + 224, c + 7 * ldc + 0, 7, rows, width0, e0);
        int width1 = Math.Min(Panel, cols - 16);
        var e1 = e.Shifted(16);
        Emit(tile + 16, c + 0 * ldc + 16, 0, rows, width1, e1);
        Emit(tile + 48, c + 1 * ldc + 16, 1, rows, width1, e1);
        Emit(tile + 80, c + 2 * ldc + 16, 2, rows, width1, e1);
        Emit(tile + 112, c + 3 * ldc + 16, 3, rows, width1, e1);
        Emit(tile + 144, c + 4 * ldc + 16, 4, rows, width1, e1);
        Emit(tile + 176, c + 5 * ldc + 16, 5, rows, width1, e1);
        Emit(tile + 208, c + 6 * ldc + 16, 6, rows, width1, e1);
        Emit(tile + 240, c + 7 * ldc + 16, 7, rows, width1, e1);
    }

    /// <summary>C ⟵ epilogue(alpha · A·B (+ beta · C)) for a 8 x 16 tile on packed A (first <paramref name="rows"/> rows stored).</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile8x16(int kc, float* a, float* b, int panelStride, float* c, int ldc, int rows, int cols, in TileEpilogue e)
    {
        float* b0p = b;
        var c00 = Vector512<float>.Zero;
        var c10 = Vector512<float>.Zero;
        var c20 = Vector512<float>.Zero;
        var c30 = Vector512<float>.Zero;
        var c40 = Vector512<float>.Zero;
        var c50 = Vector512<float>.Zero;
        var c60 = Vector512<float>.Zero;
        var c70 = Vector512<float>.Zero;
        for (int p = 0; p < kc; p++, a += 8)
        {
            var b0 = Vector512.Load(b0p + p * Panel);
            var v0 = Vector512.Create(a[0]); c00 = Vector512.FusedMultiplyAdd(v0, b0, c00);
            var v1 = Vector512.Create(a[1]); c10 = Vector512.FusedMultiplyAdd(v1, b0, c10);
            var v2 = Vector512.Create(a[2]); c20 = Vector512.FusedMultiplyAdd(v2, b0, c20);
            var v3 = Vector512.Create(a[3]); c30 = Vector512.FusedMultiplyAdd(v3, b0, c30);
            var v4 = Vector512.Create(a[4]); c40 = Vector512.FusedMultiplyAdd(v4, b0, c40);
            var v5 = Vector512.Create(a[5]); c50 = Vector512.FusedMultiplyAdd(v5, b0, c50);
            var v6 = Vector512.Create(a[6]); c60 = Vector512.FusedMultiplyAdd(v6, b0, c60);
            var v7 = Vector512.Create(a[7]); c70 = Vector512.FusedMultiplyAdd(v7, b0, c70);
        }

        // Park the accumulators before any call: a vector live across a call is spilled on every loop iteration.
        float* tile = stackalloc float[256];
        c00.Store(tile + 0);
        c10.Store(tile + 32);
        c20.Store(tile + 64);
        c30.Store(tile + 96);
        c40.Store(tile + 128);
        c50.Store(tile + 160);
        c60.Store(tile + 192);
        c70.Store(tile + 224);
        int width0 = Math.Min(Panel, cols - 0);
        var e0 = e.Shifted(0);
        Emit(tile + 0, c + 0 * ldc + 0, 0, rows, width0, e0);
        Emit(tile + 32, c + 1 * ldc + 0, 1, rows, width0, e0);
        Emit(tile + 64, c + 2 * ldc + 0, 2, rows, width0, e0);
        Emit(tile + 96, c + 3 * ldc + 0, 3, rows, width0, e0);
        Emit(tile + 128, c + 4 * ldc + 0, 4, rows, width0, e0);
        Emit(tile + 160, c + 5 * ldc + 0, 5, rows, width0, e0);
        Emit(tile + 192, c + 6 * ldc + 0, 6, rows, width0, e0);
        Emit(tile + 224, c + 7 * ldc + 0, 7, rows, width0, e0);
    }

    /// <summary>C ⟵ epilogue(alpha · A·B (+ beta · C)) for a 12 x 32 tile on packed A (first <paramref name="rows"/> rows stored).</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile12x32(int kc, float* a, float* b, int panelStride, float* c, int ldc, int rows, int cols, in TileEpilogue e)
    {
        float* b0p = b;
        float* b1p = b + panelStride;
        var c00 = Vector512<float>.Zero; var c01 = Vector512<float>.Zero;
        var c10 = Vector512<float>.Zero; var c11 = Vector512<float>.Zero;
        var c20 = Vector512<float>.Zero; var c21 = Vector512<float>.Zero;
        var c30 = Vector512<float>.Zero; var c31 = Vector512<float>.Zero;
        var c40 = Vector512<float>.Zero; var c41 = Vector512<float>.Zero;
        var c50 = Vector512<float>.Zero; var c51 = Vector512<float>.Zero;
        var c60 = Vector512<float>.Zero; var c61 = Vector512<float>.Zero;
        var c70 = Vector512<float>.Zero; var c71 = Vector512<float>.Zero;
        var c80 = Vector512<float>.Zero; var c81 = Vector512<float>.Zero;
        var c90 = Vector512<float>.Zero; var c91 = Vector512<float>.Zero;
        var c100 = Vector512<float>.Zero; var c101 = Vector512<float>.Zero;
        var c110 = Vector512<float>.Zero; var c111 = Vector512<float>.Zero;
        for (int p = 0; p < kc; p++, a += 12)
        {
            var b0 = Vector512.Load(b0p + p * Panel);
            var b1 = Vector512.Load(b1p + p * Panel);
            var v0 = Vector512.Create(a[0]); c00 = Vector512.FusedMultiplyAdd(v0, b0, c00); c01 = Vector512.FusedMultiplyAdd(v0, b1, c01);
            var v1 = Vector512.Create(a[1]); c10 = Vector512.FusedMultiplyAdd(v1, b0, c10); c11 = Vector512.FusedMultiplyAdd(v1, b1, c11);
            var v2 = Vector512.Create(a[2]); c20 = Vector512.FusedMultiplyAdd(v2, b0, c20); c21 = Vector512.FusedMultiplyAdd(v2, b1, c21);
            var v3 = Vector512.Create(a[3]); c30 = Vector512.FusedMultiplyAdd(v3, b0, c30); c31 = Vector512.FusedMultiplyAdd(v3, b1, c31);
            var v4 = Vector512.Create(a[4]); c40 = Vector512.FusedMultiplyAdd(v4, b0, c40); c41 = Vector512.FusedMultiplyAdd(v4, b1, c41);
            var v5 = Vector512.Create(a[5]); c50 = Vector512.FusedMultiplyAdd(v5, b0, c50); c51 = Vector512.FusedMultiplyAdd(v5, b1, c51);
            var v6 = Vector512.Create(a[6]); c60 = Vector512.FusedMultiplyAdd(v6, b0, c60); c61 = Vector512.FusedMultiplyAdd(v6, b1, c61);
            var v7 = Vector512.Create(a[7]); c70 = Vector512.FusedMultiplyAdd(v7, b0, c70); c71 = Vector512.FusedMultiplyAdd(v7, b1, c71);
            var v8 = Vector512.Create(a[8]); c80 = Vector512.FusedMultiplyAdd(v8, b0, c80); c81 = Vector512.FusedMultiplyAdd(v8, b1, c81);
            var v9 = Vector512.Create(a[9]); c90 = Vector512.FusedMultiplyAdd(v9, b0, c90); c91 = Vector512.FusedMultiplyAdd(v9, b1, c91);
            var v10 = Vector512.Create(a[10]); c100 = Vector512.FusedMultiplyAdd(v10, b0, c100); c101 = Vector512.FusedMultiplyAdd(v10, b1, c101);
            var v11 = Vector512.Create(a[11]); c110 = Vector512.FusedMultiplyAdd(v11, b0, c110); c111 = Vector512.FusedMultiplyAdd(v11, b1, c111);
        }

        // Park the accumulators before any call: a vector live across a call is spilled on every loop iteration.
        float* tile = stackalloc float[384];
        c00.Store(tile + 0); c01.Store(tile + 16);
        c10.Store(tile + 32); c11.Store(tile + 48);
        c20.Store(tile + 64); c21.Store(tile + 80);
        c30.Store(tile + 96); c31.Store(tile + 112);
        c40.Store(tile + 128); c41.Store(tile + 144);
        c50.Store(tile + 160); c51.Store(tile + 176);
        c60.Store(tile + 192); c61.Store(tile + 208);
        c70.Store(tile + 224); c71.Store(tile + 240);
        c80.Store(tile + 256); c81.Store(tile + 272);
        c90.Store(tile + 288); c91.Store(tile + 304);
        c100.Store(tile + 320); c101.Store(tile + 336);
        c110.Store(tile + 352); c111.Store(tile + 368);
        int width0 = Math.Min(Panel, cols - 0);
        var e0 = e.Shifted(0);
        Emit(tile + 0, c + 0 * ldc + 0, 0, rows, width0, e0);
        Emit(tile + 32, c + 1 * ldc + 0, 1, rows, width0, e0);
        Emit(tile + 64, c + 2 * ldc + 0, 2, rows, width0, e0);
        Emit(tile + 96, c + 3 * ldc + 0, 3, rows, width0, e0);
        Emit(tile + 128, c + 4 * ldc + 0, 4, rows, width0, e0);
        Emit(tile + 160, c + 5 * ldc + 0, 5, rows, width0, e0);
        Emit(tile + 192, c + 6 * ldc + 0, 6, rows, width0, e0);
        Emit(tile + 224, c + 7 * ldc + 0, 7, rows, width0, e0);
        Emit(tile + 256, c + 8 * ldc + 0, 8, rows, width0, e0);
        Emit(tile + 288, c + 9 * ldc + 0, 9, rows, width0, e0);
        Emit(tile + 320, c + 10 * ldc + 0, 10, rows, width0, e0);
        Emit(tile + 352, c + 11 * ldc + 0, 11, rows, width0, e0);
        int width1 = Math.Min(Panel, cols - 16);
        var e1 = e.Shifted(16);
        Emit(tile + 16, c + 0 * ldc + 16, 0, rows, width1, e1);
        Emit(tile + 48, c + 1 * ldc + 16, 1, rows, width1, e1);
        Emit(tile + 80, c + 2 * ldc + 16, 2, rows, width1, e1);
        Emit(tile + 112, c + 3 * ldc + 16, 3, rows, width1, e1);
        Emit(tile + 144, c + 4 * ldc + 16, 4, rows, width1, e1);
        Emit(tile + 176, c + 5 * ldc + 16, 5, rows, width1, e1);
        Emit(tile + 208, c + 6 * ldc + 16, 6, rows, width1, e1);
        Emit(tile + 240, c + 7 * ldc + 16, 7, rows, width1, e1);
        Emit(tile + 272, c + 8 * ldc + 16, 8, rows, width1, e1);
        Emit(tile + 304, c + 9 * ldc + 16, 9, rows, width1, e1);
        Emit(tile + 336, c + 10 * ldc + 16, 10, rows, width1, e1);
        Emit(tile + 368, c + 11 * ldc + 16, 11, rows, width1, e1);
    }

    /// <summary>C ⟵ epilogue(alpha · A·B (+ beta · C)) for a 12 x 16 tile on packed A (first <paramref name="rows"/> rows stored).</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile12x16(int kc, float* a, float* b, int panelStride, float* c, int ldc, int rows, int cols, in TileEpilogue e)
    {
        float* b0p = b;
        var c00 = Vector512<float>.Zero;
        var c10 = Vector512<float>.Zero;
        var c20 = Vector512<float>.Zero;
        var c30 = Vector512<float>.Zero;
        var c40 = Vector512<float>.Zero;
        var c50 = Vector512<float>.Zero;
        var c60 = Vector512<float>.Zero;
        var c70 = Vector512<float>.Zero;
        var c80 = Vector512<float>.Zero;
        var c90 = Vector512<float>.Zero;
        var c100 = Vector512<float>.Zero;
        var c110 = Vector512<float>.Zero;
        for (int p = 0; p < kc; p++, a += 12)
        {
            var b0 = Vector512.Load(b0p + p * Panel);
            var v0 = Vector512.Create(a[0]); c00 = Vector512.FusedMultiplyAdd(v0, b0, c00);
            var v1 = Vector512.Create(a[1]); c10 = Vector512.FusedMultiplyAdd(v1, b0, c10);
            var v2 = Vector512.Create(a[2]); c20 = Vector512.FusedMultiplyAdd(v2, b0, c20);
            var v3 = Vector512.Create(a[3]); c30 = Vector512.FusedMultiplyAdd(v3, b0, c30);
            var v4 = Vector512.Create(a[4]); c40 = Vector512.FusedMultiplyAdd(v4, b0, c40);
            var v5 = Vector512.Create(a[5]); c50 = Vector512.FusedMultiplyAdd(v5, b0, c50);
            var v6 = Vector512.Create(a[6]); c60 = Vector512.FusedMultiplyAdd(v6, b0, c60);
            var v7 = Vector512.Create(a[7]); c70 = Vector512.FusedMultiplyAdd(v7, b0, c70);
            var v8 = Vector512.Create(a[8]); c80 = Vector512.FusedMultiplyAdd(v8, b0, c80);
            var v9 = Vector512.Create(a[9]); c90 = Vector512.FusedMultiplyAdd(v9, b0, c90);
            var v10 = Vector512.Create(a[10]); c100 = Vector512.FusedMultiplyAdd(v10, b0, c100);
            var v11 = Vector512.Create(a[11]); c110 = Vector512.FusedMultiplyAdd(v11, b0, c110);
        }

        // Park the accumulators before any call: a vector live across a call is spilled on every loop iteration.
        float* tile = stackalloc float[384];
        c00.Store(tile + 0);
        c10.Store(tile + 32);
        c20.Store(tile + 64);
        c30.Store(tile + 96);
        c40.Store(tile + 128);
        c50.Store(tile + 160);
        c60.Store(tile + 192);
        c70.Store(tile + 224);
        c80.Store(tile + 256);
        c90.Store(tile + 288);
        c100.Store(tile + 320);
        c110.Store(tile + 352);
        int width0 = Math.Min(Panel, cols - 0);
        var e0 = e.Shifted(0);
        Emit(tile + 0, c + 0 * ldc + 0, 0, rows, width0, e0);
        Emit(tile + 32, c + 1 * ldc + 0, 1, rows, width0, e0);
        Emit(tile + 64, c + 2 * ldc + 0, 2, rows, width0, e0);
        Emit(tile + 96, c + 3 * ldc + 0, 3, rows, width0, e0);
        Emit(tile + 128, c + 4 * ldc + 0, 4, rows, width0, e0);
        Emit(tile + 160, c + 5 * ldc + 0, 5, rows, width0, e0);
        Emit(tile + 192, c + 6 * ldc + 0, 6, rows, width0, e0);
        Emit(tile + 224, c + 7 * ldc + 0, 7, rows, width0, e0);
        Emit(tile + 256, c + 8 * ldc + 0, 8, rows, width0, e0);
        Emit(tile + 288, c + 9 * ldc + 0, 9, rows, width0, e0);
        Emit(tile + 320, c + 10 * ldc + 0, 10, rows, width0, e0);
        Emit(tile + 352, c + 11 * ldc + 0, 11, rows, width0, e0);
    }

    /// <summary>Finishes one row's 16 values through the shared epilogue, skipping rows past the edge.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Emit(float* values, float* c, int row, int rows, int width, in TileEpilogue e)
    {
        if (row < rows && width > 0)
        {
            MicroKernels512.Store16(values, c, width, e);
        }
    }
}
