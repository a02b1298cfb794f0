using System.Collections.Concurrent;
using DeepScratch.Kernels;
using Xunit.Abstractions;
using static DeepScratch.Tests.Kernels.KernelTestSupport;

namespace DeepScratch.Tests.Kernels;

/// <summary>
/// Every output element is summed in the same order by every kernel, so results must not depend on the kernel width,
/// on which kernel (tile or single row) computed a row, on how rows are split into blocks, or on the threads.
/// </summary>
public unsafe class BitIdentityTests(ITestOutputHelper output)
{

    public static TheoryData<int, int, int, Activation> WidthCases() => new()
    {
        { 1, 1000, 100, Activation.None },
        { 5, 7, 13, Activation.Sigmoid },
        { 13, 50, 784, Activation.Sigmoid },
        { 50, 100, 50, Activation.None },
        { 100, 10, 100, Activation.Sigmoid },
        { 7, 1000, 1025, Activation.None },
        { 600, 50, 784, Activation.Sigmoid },
        { 100, 100, 4320, Activation.Relu },
        { 101, 40, 700, Activation.None },
        { 203, 8, 385, Activation.Sigmoid },
    };

    [Theory]
    [MemberData(nameof(WidthCases))]
    public void Avx2_and_Avx512_kernels_give_bit_identical_results(int m, int n, int k, Activation activation)
    {
        output.WriteLine(Describe(KernelSet.Avx2));
        output.WriteLine(Describe(KernelSet.Avx512));
        var random = new Random(m + n + k);
        var bias = PackedMatrix.PadBias(RandomArray(random, n, -2f, 2f));
        foreach (var transA in new[] { Transpose.No, Transpose.Yes })
        {
            foreach (var (alpha, beta) in new[] { (1f, 0f), (0.5f, 1f), (-2f, 0.75f) })
            {
                int lda = (transA == Transpose.No ? k : m) + 1;
                int ldc = n + 3;
                var a = transA == Transpose.No ? RandomMatrix(random, m, k, lda, Poison) : RandomMatrix(random, k, m, lda, Poison);
                var b = RandomArray(random, k * n);
                var c = RandomMatrix(random, m, n, ldc, Sentinel);
                var c2 = (float[])c.Clone();
                var c512 = (float[])c.Clone();
                Run(KernelSet.Avx2, m, n, k, alpha, a, lda, transA, b, n, Transpose.No, beta, c2, ldc, bias, activation);
                Run(KernelSet.Avx512, m, n, k, alpha, a, lda, transA, b, n, Transpose.No, beta, c512, ldc, bias, activation);
                AssertBitIdentical(c2, c512, $"{m}x{n}x{k} {transA} alpha {alpha} beta {beta} {activation}: AVX2 vs AVX-512");

                // The two kernel sets share the activation code, so agreeing proves nothing about it: hold them to the
                // double-precision reference of the whole layer, activation(alpha·op(A)·B + beta·C + bias).
                AssertLayerMatchesReference(m, n, k, alpha, a, lda, transA, b, beta, c, ldc, bias, activation, c2,
                    $"{m}x{n}x{k} {transA} alpha {alpha} beta {beta} {activation}");
                Assert.DoesNotContain(c2, float.IsNaN);
            }
        }

        // A read from bytes, with blank stretches so that the kernels skip zero steps.
        var pixels = new byte[m * k];
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = random.Next(10) < 4 ? (byte)random.Next(256) : (byte)0;
        }

        var packed = PackedMatrix.Pack(RandomArray(random, k * n), n, Transpose.No, k, n);
        var fromBytes2 = new float[m * n];
        var fromBytes512 = new float[m * n];
        fixed (byte* px = pixels)
        fixed (float* pb = &packed.Data[packed.Offset])
        fixed (float* pbias = bias)
        fixed (float* pc2 = fromBytes2)
        fixed (float* pc512 = fromBytes512)
        {
            Gemm.Run(new Operation(m, n, k, MatrixSource.Pixels(px, k), packed, pb, 1f, 0f, pc2, n, pbias, activation), KernelSet.Avx2);
            Gemm.Run(new Operation(m, n, k, MatrixSource.Pixels(px, k), packed, pb, 1f, 0f, pc512, n, pbias, activation), KernelSet.Avx512);
        }

        AssertBitIdentical(fromBytes2, fromBytes512, $"{m}x{n}x{k} pixels {activation}: AVX2 vs AVX-512");
    }

    [Theory]
    [InlineData("Avx2")]
    [InlineData("Avx512")]
    public void A_single_row_gives_the_same_bits_as_that_row_inside_a_large_batch(string kernels)
    {
        var set = Enum.Parse<KernelSet>(kernels);
        output.WriteLine(Describe(set));
        foreach (var (m, n, k) in new[] { (50, 100, 784), (40, 1000, 1025), (13, 7, 20) })
        {
            var random = new Random(m * n + k);
            var a = RandomArray(random, m * k);
            var b = RandomArray(random, k * n);
            var bias = PackedMatrix.PadBias(RandomArray(random, n));
            var initial = RandomArray(random, m * n);
            foreach (var (alpha, beta, activation) in new[] { (1f, 0f, Activation.Sigmoid), (0.5f, 1f, Activation.None), (-1f, 0.25f, Activation.None) })
            {
                var batch = (float[])initial.Clone();
                Run(set, m, n, k, alpha, a, k, Transpose.No, b, n, Transpose.No, beta, batch, n, bias, activation);
                // Rows in the first and in later tiles, at every position within a 6-row tile, and the last row.
                foreach (int i in new[] { 0, 1, 2, 3, 4, 5, 6, 11, 12, m - 1 }.Where(i => i < m).Distinct())
                {
                    var row = initial.AsSpan(i * n, n).ToArray();
                    Run(set, 1, n, k, alpha, a.AsSpan(i * k, k).ToArray(), k, Transpose.No, b, n, Transpose.No, beta, row, n, bias, activation);
                    AssertBitIdentical(batch.AsSpan(i * n, n), row, $"{set} {m}x{n}x{k} row {i} alpha {alpha} beta {beta} {activation}");
                }
            }
        }
    }

    [Theory]
    [InlineData("Avx2", 0)]
    [InlineData("Avx512", 0)]
    [InlineData("Avx2", 1)]
    [InlineData("Avx512", 1)]
    [InlineData("Avx512", 2)]
    public void The_worker_pool_gives_the_same_bits_as_computing_one_block_at_a_time(string kernels, int sourceKind)
    {
        var set = Enum.Parse<KernelSet>(kernels);
        output.WriteLine($"{Describe(set)}; {Environment.ProcessorCount} processors" +
            (Environment.ProcessorCount < 2 ? ": only one, so the pool runs every block on the calling thread" : ""));
        int m = 1000, n = 50, k = 784; // 39 million multiply-adds: far above the 2^20 parallel threshold
        Assert.True((long)m * n * k >= 1L << 20);
        var random = new Random(11 + sourceKind);
        var floats = RandomArray(random, m * k);
        var pixels = new byte[m * k];
        for (int i = 0; i < pixels.Length; i++)
        {
            // MNIST-like: blank borders and mostly blank inside, so whole k steps of a tile are skipped, but not the same ones in every tile.
            int p = i % k;
            pixels[i] = p >= 100 && p < k - 100 && random.Next(10) < 4 ? (byte)random.Next(1, 256) : (byte)0;
        }
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
        fixed (byte* px = pixels)
        fixed (float* pb = &packed.Data[packed.Offset])
        fixed (float* pbias = bias)
        {
            var source = sourceKind switch
            {
                0 => MatrixSource.RowMajor(pf, k),
                1 => MatrixSource.Transposed(pt, m),
                _ => MatrixSource.Pixels(px, k),
            };

            var pooled = new float[m * n];
            fixed (float* pc = pooled)
            {
                Gemm.Run(new Operation(m, n, k, source, packed, pb, 1f, 0f, pc, n, pbias, Activation.Sigmoid), set);
            }

            // The same operation one row block after another on this thread, for several block heights
            // (6: tile-sized; 7: tiles straddle blocks; 1: the one-row kernel everywhere; m: a single block).
            foreach (int blockRows in new[] { m, 192, 7, 6, 1 })
            {
                var serial = new float[m * n];
                fixed (float* pc = serial)
                {
                    var op = new Operation(m, n, k, source, packed, pb, 1f, 0f, pc, n, pbias, Activation.Sigmoid);
                    for (int block = 0; block * blockRows < m; block++)
                    {
                        Gemm.RunRowBlock(op, block, blockRows, chunks, set);
                    }
                }

                AssertBitIdentical(serial, pooled, $"{set} source {sourceKind}: blocks of {blockRows} rows vs the worker pool");
            }

            // The pool itself, with a block split other than Gemm's.
            var direct = new float[m * n];
            fixed (float* pc = direct)
            {
                WorkerPool.Run(new Operation(m, n, k, source, packed, pb, 1f, 0f, pc, n, pbias, Activation.Sigmoid), (m + 29) / 30, 30, chunks, set);
            }

            AssertBitIdentical(pooled, direct, $"{set} source {sourceKind}: WorkerPool.Run with 30-row blocks");
        }
    }

    [Fact]
    public void Threads_calling_Multiply_concurrently_each_get_exactly_the_serial_result()
    {
        const int threads = 4, calls = 20;
        int m = 256, n = 64, k = 128; // 2.1 million multiply-adds: above the parallel threshold, so each call wants the pool
        Assert.True((long)m * n * k >= 1L << 20);
        var random = new Random(99);
        var b = RandomArray(random, k * n);
        var inputs = new float[threads][];
        var expected = new float[threads][];
        for (int t = 0; t < threads; t++)
        {
            // Different A per thread: a call that picked up another thread's job would get another thread's answer.
            inputs[t] = RandomArray(random, m * k);
            expected[t] = new float[m * n];
            for (int i = 0; i < m; i++)
            {
                // One row per call is far below the threshold: a serial computation.
                Gemm.Multiply(Transpose.No, Transpose.No, 1, n, k, 1f, inputs[t].AsSpan(i * k, k), k, b, n, 0f, expected[t].AsSpan(i * n, n), n);
            }
        }

        var failures = new ConcurrentQueue<string>();
        using var start = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                var c = new float[m * n];
                for (int call = 0; call < calls; call++)
                {
                    Array.Fill(c, float.NaN);
                    Gemm.Multiply(Transpose.No, Transpose.No, m, n, k, 1f, inputs[t], k, b, n, 0f, c, n);
                    int differing = 0;
                    for (int i = 0; i < c.Length; i++)
                    {
                        differing += BitConverter.SingleToInt32Bits(c[i]) != BitConverter.SingleToInt32Bits(expected[t][i]) ? 1 : 0;
                    }

                    if (differing > 0)
                    {
                        failures.Enqueue($"thread {t} call {call}: {differing} elements differ from the serial result");
                    }
                }
            }
            catch (Exception e)
            {
                failures.Enqueue($"thread {t}: {e}");
            }
        })).ToArray();
        foreach (var w in workers)
        {
            w.Start();
        }

        foreach (var w in workers)
        {
            Assert.True(w.Join(TimeSpan.FromSeconds(60)), "a thread calling Multiply did not finish within 60 s (deadlock in the worker pool?)");
        }

        Assert.True(failures.IsEmpty, string.Join(Environment.NewLine, failures.Take(10)));
    }

    /// <summary>
    /// Compares <paramref name="actual"/> with activation(alpha·op(A)·B + beta·C + bias) computed in double: the
    /// pre-activations within the GEMM tolerance of <see cref="KernelTestSupport.AssertMatchesReference"/>, the activation
    /// within the error that tolerance allows after it (sigmoid's slope is at most 1/4, ReLU's 1, softmax's 1/2 per input).
    /// </summary>
    private static void AssertLayerMatchesReference(int m, int n, int k, float alpha, float[] a, int lda, Transpose transA,
        float[] b, float beta, float[] c, int ldc, float[] paddedBias, Activation activation, float[] actual, string what)
    {
        float tolerance = 1e-5f * MathF.Sqrt(k) + 1e-6f;
        for (int i = 0; i < m; i++)
        {
            var z = new double[n];
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    sum += (double)(transA == Transpose.No ? a[i * lda + p] : a[p * lda + i]) * b[p * n + j];
                }

                z[j] = alpha * sum + (beta == 0 ? 0 : beta * (double)c[i * ldc + j]) + paddedBias[j];
            }

            double max = z.Max();
            double denominator = z.Sum(v => Math.Exp(v - max));
            for (int j = 0; j < n; j++)
            {
                double expected = activation switch
                {
                    Activation.Sigmoid => ReferenceActivations.Sigmoid(z[j]),
                    Activation.Relu => Math.Max(z[j], 0),
                    Activation.Softmax => Math.Exp(z[j] - max) / denominator,
                    _ => z[j],
                };
                float got = actual[i * ldc + j];
                double allowed = tolerance * Math.Max(1, Math.Abs(z[j]));
                if (!(Math.Abs(expected - got) <= allowed))
                {
                    Assert.Fail($"{what}: element ({i}, {j}), z = {z[j]:R}: expected {expected:R}, got {got:R} (tolerance {allowed:G3})");
                }
            }
        }
    }
}
