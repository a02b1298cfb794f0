using DeepScratch.Kernels;
using Xunit.Abstractions;
using static DeepScratch.Tests.Kernels.KernelTestSupport;

namespace DeepScratch.Tests.Kernels;

/// <summary>Runs alone: some tests switch <see cref="PackedAGemm.TileRows"/>, which every GEMM in the process reads.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GemmTileSwitchCollection
{
    public const string Name = "GEMM tile switch";
}

/// <summary>
/// The paths of issue 12: the kernel on unpacked B for 1 to 5 rows or a narrow B (<see cref="UnpackedBGemm"/>), the packed-A
/// tiles for wide products (<see cref="PackedAGemm"/>) and the per-call B packing (<see cref="PerCallPacking"/>).
/// Each is held to the double-precision triple loop, and to the in-place kernels bit for bit (same sums, same order).
/// </summary>
[Collection(GemmTileSwitchCollection.Name)]
public unsafe class GemmFastPathTests(ITestOutputHelper output)
{
    private static readonly (float Alpha, float Beta)[] Scalings = [(1f, 0f), (0.75f, 0.5f), (-2f, 1f)];

    public static TheoryData<int, int, int> SmallShapes()
    {
        var data = new TheoryData<int, int, int>();
        // n around the 16-column vectors and 64-column blocks; k around the 768-step chunks (769: two chunks of 385).
        foreach (var (n, k) in new[] { (1, 1), (17, 5), (50, 784), (64, 769), (65, 1537), (129, 33), (200, 768) })
        {
            for (int m = 1; m <= 6; m++)
            {
                data.Add(m, n, k);
            }
        }

        // Any number of rows on a narrow B (n ≤ 128, k·n ≤ 64K): whole and partial 6-row tiles, two 64-column blocks,
        // the training step's shapes (x·W1 and xᵀ·dout, shared across threads), B at the size limit (128 x 512 = 64K)
        // and just past it (513 rows, 129 columns: the packed kernels), and MultiLayerNetExtend's 784 x 100 W1 (packed).
        foreach (var (m, n, k) in new[] { (7, 50, 784), (12, 100, 100), (13, 128, 33), (100, 50, 784), (784, 50, 100), (100, 100, 784), (31, 129, 40), (12, 128, 512), (12, 128, 513) })
        {
            data.Add(m, n, k);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SmallShapes))]
    public void Products_from_unpacked_B_match_the_reference_and_the_packed_kernels_bit_for_bit(int m, int n, int k)
    {
        output.WriteLine($"{Gemm.KernelName}; the kernel on unpacked B runs: {UnpackedBGemm.Applies(Gemm.Kernels, Transpose.No, m, n, k)}");
        var random = new Random(m * 7919 + n * 31 + k);
        foreach (var transA in new[] { Transpose.No, Transpose.Yes })
        {
            foreach (var (alpha, beta) in Scalings)
            {
                int lda = (transA == Transpose.No ? k : m) + 3;
                int ldb = n + 5;
                int ldc = n + 2;
                var a = transA == Transpose.No ? RandomMatrix(random, m, k, lda, Poison) : RandomMatrix(random, k, m, lda, Poison);
                var b = RandomMatrix(random, k, n, ldb, Poison);
                var c = RandomMatrix(random, m, n, ldc, Sentinel);
                var expected = (float[])c.Clone();
                var packed = (float[])c.Clone();
                string what = $"{m}x{n}x{k} {transA} alpha {alpha} beta {beta}";

                Gemm.Multiply(transA, Transpose.No, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
                ReferenceGemm.Multiply(transA, Transpose.No, m, n, k, alpha, a, lda, b, ldb, beta, expected, ldc);
                AssertMatchesReference(expected, c, m, n, ldc, k, what);

                // The packed-B kernels through Gemm.Run: the arithmetic the row kernel promises to repeat exactly.
                if (Gemm.HasFastKernels)
                {
                    Run(Gemm.Kernels, m, n, k, alpha, a, lda, transA, b, ldb, Transpose.No, beta, packed, ldc);
                    AssertBitIdentical(packed, c, what + ": row kernel vs packed kernels");
                }
            }
        }
    }

    [Fact]
    public void A_row_gets_the_same_bits_alone_with_four_others_and_in_a_batch_of_100()
    {
        var random = new Random(5);
        int n = 50, k = 784;
        var a = RandomArray(random, 100 * k);
        var b = RandomArray(random, k * n);
        var batch = new float[100 * n];
        Gemm.Multiply(Transpose.No, Transpose.No, 100, n, k, 1f, a, k, b, n, 0f, batch, n);
        var five = new float[5 * n];
        Gemm.Multiply(Transpose.No, Transpose.No, 5, n, k, 1f, a.AsSpan(40 * k, 5 * k), k, b, n, 0f, five, n);
        for (int i = 0; i < 5; i++)
        {
            var one = new float[n];
            Gemm.Multiply(Transpose.No, Transpose.No, 1, n, k, 1f, a.AsSpan((40 + i) * k, k), k, b, n, 0f, one, n);
            AssertBitIdentical(batch.AsSpan((40 + i) * n, n), one, $"row {40 + i}: alone vs in the batch of 100");
            AssertBitIdentical(five.AsSpan(i * n, n), one, $"row {40 + i}: alone vs with four others");
        }
    }

    public static TheoryData<int, int, int> NonFiniteShapes() => new()
    {
        { 1, 50, 784 }, { 3, 70, 20 }, { 5, 129, 800 }, // the row kernel
        { 40, 150, 800 }, { 17, 300, 9 },               // packed A tiles (and their leftover rows)
    };

    [Theory]
    [MemberData(nameof(NonFiniteShapes))]
    public void NaN_and_infinities_in_A_and_B_propagate_as_in_the_reference_and_beta_zero_ignores_NaN_in_C(int m, int n, int k)
    {
        var random = new Random(m + n + k);
        foreach (var transA in new[] { Transpose.No, Transpose.Yes })
        {
            int lda = transA == Transpose.No ? k : m;
            var a = RandomArray(random, m * k);
            var b = RandomArray(random, k * n);
            // Row 0 of op(A) gets a NaN, row m-1 a +∞ (row 0 when m = 1, where NaN wins); column 1 of B a −∞.
            a[transA == Transpose.No ? 0 * k + k / 2 : (k / 2) * lda + 0] = float.NaN;
            int last = m - 1;
            int infStep = k / 3;
            a[transA == Transpose.No ? last * k + infStep : infStep * lda + last] = float.PositiveInfinity;
            b[(k - 1) * n + Math.Min(1, n - 1)] = float.NegativeInfinity;
            var c = Enumerable.Repeat(float.NaN, m * n).ToArray();
            var expected = new float[m * n];

            Gemm.Multiply(transA, Transpose.No, m, n, k, 1f, a, lda, b, n, 0f, c, n);
            ReferenceGemm.Multiply(transA, Transpose.No, m, n, k, 1f, a, lda, b, n, 0f, expected, n);
            float tolerance = 1e-5f * MathF.Sqrt(k) + 1e-6f;
            int nan = 0, infinite = 0;
            for (int i = 0; i < m * n; i++)
            {
                if (float.IsNaN(expected[i]) || float.IsInfinity(expected[i]))
                {
                    nan += float.IsNaN(expected[i]) ? 1 : 0;
                    infinite += float.IsInfinity(expected[i]) ? 1 : 0;
                    Assert.True(expected[i].Equals(c[i]), $"{m}x{n}x{k} {transA} element {i}: expected {expected[i]}, got {c[i]}");
                }
                else
                {
                    Assert.True(MathF.Abs(expected[i] - c[i]) <= tolerance * MathF.Max(1f, MathF.Abs(expected[i])),
                        $"{m}x{n}x{k} {transA} element {i}: expected {expected[i]}, got {c[i]} (the NaN in C must be ignored)");
                }
            }

            // The case is only worth its name if the reference really has NaN, infinite and finite results.
            Assert.True(nan >= n && (m == 1 || infinite >= 1), $"{m}x{n}x{k}: {nan} NaN and {infinite} infinite expected results");
        }
    }

    public static TheoryData<int, int, int> WideShapes() => new()
    {
        // m around the 6, 8 and 12-row tiles; n from the 128-column threshold, odd panels; k across chunks.
        { 8, 128, 1 }, { 13, 145, 5 }, { 24, 200, 768 }, { 37, 129, 769 }, { 101, 160, 300 }, { 12, 512, 1537 },
    };

    [Theory]
    [MemberData(nameof(WideShapes))]
    public void Packed_A_tiles_match_the_reference_and_the_in_place_kernels_bit_for_bit_at_every_tile_height(int m, int n, int k)
    {
        output.WriteLine(Gemm.KernelName);
        var random = new Random(m * 31 + n + k);
        int saved = PackedAGemm.TileRows, savedGroup = PackedAGemm.GroupRows;
        try
        {
            foreach (var transA in new[] { Transpose.No, Transpose.Yes })
            {
                foreach (var (alpha, beta) in Scalings)
                {
                    int lda = (transA == Transpose.No ? k : m) + 1;
                    int ldc = n + 3;
                    var a = transA == Transpose.No ? RandomMatrix(random, m, k, lda, Poison) : RandomMatrix(random, k, m, lda, Poison);
                    var b = RandomArray(random, k * n);
                    var c = RandomMatrix(random, m, n, ldc, Sentinel);
                    string what = $"{m}x{n}x{k} {transA} alpha {alpha} beta {beta}";

                    // Tile height int.MaxValue: no block has a whole tile, so A is read in place (the kernels before packing).
                    PackedAGemm.TileRows = int.MaxValue;
                    var inPlace = (float[])c.Clone();
                    Gemm.Multiply(transA, Transpose.No, m, n, k, alpha, a, lda, b, n, beta, inPlace, ldc);
                    var expected = (float[])c.Clone();
                    ReferenceGemm.Multiply(transA, Transpose.No, m, n, k, alpha, a, lda, b, n, beta, expected, ldc);
                    AssertMatchesReference(expected, inPlace, m, n, ldc, k, what + ", A in place");
                    // Each tile height, with A packed a whole row block at a time and in groups of 24 rows.
                    foreach (var (rows, group) in new[] { (6, int.MaxValue), (8, int.MaxValue), (12, int.MaxValue), (8, 24), (12, 24) })
                    {
                        PackedAGemm.TileRows = rows;
                        PackedAGemm.GroupRows = group;
                        var tiled = (float[])c.Clone();
                        Gemm.Multiply(transA, Transpose.No, m, n, k, alpha, a, lda, b, n, beta, tiled, ldc);
                        AssertMatchesReference(expected, tiled, m, n, ldc, k, $"{what}, {rows}-row packed tiles, groups of {group} rows");
                        AssertBitIdentical(inPlace, tiled, $"{what}: {rows}-row packed tiles in groups of {group} rows vs A in place");
                    }
                }
            }
        }
        finally
        {
            PackedAGemm.TileRows = saved;
            PackedAGemm.GroupRows = savedGroup;
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Packed_A_gives_the_same_bits_whatever_the_row_blocks_and_threads(int sourceKind)
    {
        output.WriteLine($"{Gemm.KernelName}; {Environment.ProcessorCount} processors");
        int m = 300, n = 200, k = 800; // 48 million multiply-adds: the pool splits it; two k chunks of 400
        var random = new Random(17 + sourceKind);
        var floats = RandomArray(random, m * k);
        var transposed = new float[k * m];
        for (int i = 0; i < m; i++)
        {
            for (int p = 0; p < k; p++)
            {
                transposed[p * m + i] = floats[i * k + p];
            }
        }

        var packed = PackedMatrix.Pack(RandomArray(random, k * n), n, Transpose.No, k, n);
        var bias = PackedMatrix.PadBias(RandomArray(random, n));
        int chunks = (k + Gemm.MaxChunk - 1) / Gemm.MaxChunk;
        fixed (float* pf = floats)
        fixed (float* pt = transposed)
        fixed (float* pb = &packed.Data[packed.Offset])
        fixed (float* pbias = bias)
        {
            var source = sourceKind == 0 ? MatrixSource.RowMajor(pf, k) : MatrixSource.Transposed(pt, m);
            var pooled = new float[m * n];
            fixed (float* pc = pooled)
            {
                Gemm.Run(new Operation(m, n, k, source, packed, pb, 0.5f, 0f, pc, n, pbias, Activation.Relu), KernelSet.Avx512);
            }

            // 13 and 7: blocks of a tile plus leftover rows; 5 and 1: no whole tile, A read in place everywhere.
            foreach (int blockRows in new[] { m, 192, 13, 8, 7, 5, 1 })
            {
                var serial = new float[m * n];
                fixed (float* pc = serial)
                {
                    var op = new Operation(m, n, k, source, packed, pb, 0.5f, 0f, pc, n, pbias, Activation.Relu);
                    for (int block = 0; block * blockRows < m; block++)
                    {
                        Gemm.RunRowBlock(op, block, blockRows, chunks, KernelSet.Avx512);
                    }
                }

                AssertBitIdentical(serial, pooled, $"source {sourceKind}: blocks of {blockRows} rows vs the worker pool");
            }

            // The AVX2 kernels never pack A: the same bits from a different code path entirely.
            var avx2 = new float[m * n];
            fixed (float* pc = avx2)
            {
                Gemm.Run(new Operation(m, n, k, source, packed, pb, 0.5f, 0f, pc, n, pbias, Activation.Relu), KernelSet.Avx2);
            }

            AssertBitIdentical(avx2, pooled, $"source {sourceKind}: AVX2 in place vs AVX-512 packed A");
        }
    }

    [Fact]
    public void Multiply_allocates_nothing_per_call_in_steady_state()
    {
        var random = new Random(3);
        var cases = new (Transpose TransA, Transpose TransB, int M, int N, int K)[]
        {
            (Transpose.No, Transpose.No, 512, 512, 512),  // packed A, B packed across the pool
            (Transpose.No, Transpose.No, 1, 50, 784),     // the row kernel
            (Transpose.Yes, Transpose.No, 4, 50, 784),
            (Transpose.No, Transpose.Yes, 3, 50, 784),    // few rows, B transposed: packed per call
            (Transpose.No, Transpose.No, 100, 50, 784),
            (Transpose.Yes, Transpose.Yes, 64, 200, 300),
        };
        foreach (var (ta, tb, m, n, k) in cases)
        {
            var a = RandomArray(random, m * k);
            var b = RandomArray(random, k * n);
            var c = new float[m * n];
            int lda = ta == Transpose.No ? k : m, ldb = tb == Transpose.No ? n : k;
            for (int warm = 0; warm < 3; warm++)
            {
                Gemm.Multiply(ta, tb, m, n, k, 1f, a, lda, b, ldb, 0f, c, n);
            }

            // Which thread takes which row block varies, and a thread grows its packing buffer the first time it takes
            // one: a round may allocate once per thread, but a steady state must come, where five calls allocate nothing.
            var rounds = new List<long>();
            for (int round = 0; round < 4 && (rounds.Count == 0 || rounds[^1] != 0); round++)
            {
                rounds.Add(Allocations.OnThisThread(() =>
                {
                    for (int call = 0; call < 5; call++)
                    {
                        Gemm.Multiply(ta, tb, m, n, k, 1f, a, lda, b, ldb, 0.5f, c, n);
                    }
                }));
            }

            Assert.True(rounds[^1] == 0, $"{m}x{n}x{k} {ta}/{tb}: rounds of five calls allocated {string.Join(", ", rounds)} bytes");
        }
    }
}

/// <summary>The panel layout written by <see cref="PanelPacking"/> (for <see cref="PackedMatrix.Pack"/> and per-call packing).</summary>
public class PanelPackingTests
{
    [Theory]
    [InlineData(700, 333, false)] // 233,100 elements: packed across the worker pool, a last panel of 13 columns
    [InlineData(700, 333, true)]
    [InlineData(5, 17, false)]    // one thread
    [InlineData(5, 17, true)]
    public void Packed_panels_hold_op_B_row_by_row_and_zeros_past_the_last_column(int k, int n, bool transposed)
    {
        var random = new Random(k + n);
        var transB = transposed ? Transpose.Yes : Transpose.No;
        int ldb = (transposed ? k : n) + 7;
        var b = new float[(transposed ? n : k) * ldb];
        for (int i = 0; i < b.Length; i++)
        {
            b[i] = random.Next(-1000, 1000);
        }

        var buffer = PackedMatrix.Allocate(PackedMatrix.PackedLength(k, n));
        Array.Fill(buffer, float.NaN);
        var packed = PackedMatrix.Pack(b, ldb, transB, k, n, buffer);
        Assert.Same(buffer, packed.Data);
        for (int q = 0; q * 16 < n; q++)
        {
            for (int p = 0; p < k; p++)
            {
                for (int j = 0; j < 16; j++)
                {
                    int column = q * 16 + j;
                    float expected = column >= n ? 0f : transposed ? b[column * ldb + p] : b[p * ldb + column];
                    Assert.True(expected.Equals(packed.Data[packed.Offset + q * k * 16 + p * 16 + j]), $"panel {q}, row {p}, column {j}");
                }
            }
        }
    }

    [Fact]
    public void Packing_a_large_B_into_a_buffer_allocates_only_the_header()
    {
        int k = 1024, n = 1024; // above the old Parallel.For threshold
        var b = new float[k * n];
        var buffer = PackedMatrix.Allocate(PackedMatrix.PackedLength(k, n));
        PackedMatrix.Pack(b, n, Transpose.No, k, n, buffer);
        long allocated = Allocations.OnThisThread(() => PackedMatrix.Pack(b, n, Transpose.No, k, n, buffer));
        Assert.True(allocated < 200, $"packing allocated {allocated} bytes");
    }

    [Fact]
    public void A_B_too_small_for_its_shape_is_refused_before_packing()
    {
        var e = Assert.Throws<ArgumentException>(() => PackedMatrix.Pack(new float[10], 4, Transpose.No, 3, 4));
        Assert.Contains("does not fit in its 10 elements", e.Message);
    }

    [Fact]
    public void Repacking_into_an_existing_pack_refuses_a_B_too_small_for_its_shape()
    {
        PackedMatrix? pack = PackedMatrix.Pack(new float[12], 4, Transpose.No, 3, 4);
        var e = Assert.Throws<ArgumentException>(() => PackedMatrix.PackInto(ref pack, new float[10], 4, Transpose.No, 3, 4));
        Assert.Contains("does not fit in its 10 elements", e.Message);
    }

    [Fact]
    public unsafe void Packed_panels_start_on_a_cache_line_whatever_the_size()
    {
        // A 16-float load of a panel must not span two cache lines: every pack's first element is 64-byte aligned.
        var random = new Random(9);
        PackedMatrix? kept = null;
        for (int trial = 0; trial < 50; trial++)
        {
            int k = random.Next(1, 300), n = random.Next(1, 100);
            var b = new float[k * n];
            var packed = PackedMatrix.Pack(b, n, Transpose.No, k, n);
            Assert.Equal(0, (long)packed.Pointer % PackedMatrix.Alignment);
            Assert.True(packed.Offset + PackedMatrix.PackedLength(k, n) <= packed.Data.Length);
            PackedMatrix.PackInto(ref kept, b, n, Transpose.No, k, n);
            Assert.Equal(0, (long)kept.Pointer % PackedMatrix.Alignment);
            // The address holds after collections: the storage is pinned.
            long before = (long)packed.Pointer;
            GC.Collect();
            GC.Collect();
            Assert.Equal(before, (long)packed.Pointer);
        }
    }
}
