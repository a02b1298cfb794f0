namespace DeepScratch.Kernels;

/// <summary>
/// A fixed set of background threads that run the row blocks of one GEMM at a time, with the calling thread
/// taking part. Unlike <c>Parallel.For</c> it allocates nothing per call, so a predictor's steady state produces no
/// garbage. A call that finds the pool busy (another thread is mid-GEMM) runs its blocks on its own thread instead.
/// </summary>
internal static unsafe class WorkerPool
{
    private static readonly object Gate = new();
    private static readonly SemaphoreSlim Wake = new(0);
    private static readonly ManualResetEventSlim Done = new(false);
    private static Thread[]? s_threads;
    private static int s_busy;

    // The job being run: read by the workers after Wake, written only by the owner of s_busy.
    private static Operation s_op;
    private static int s_blocks;
    private static int s_blockRows;
    private static int s_chunks;
    private static KernelSet s_kernels;
    private static int s_next;
    private static int s_pending;

    /// <summary>Runs row blocks [0, blocks) of <paramref name="op"/>, each <paramref name="blockRows"/> rows, and waits for all.</summary>
    public static void Run(in Operation op, int blocks, int blockRows, int chunks, KernelSet kernels)
    {
        EnsureStarted();
        if (Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
        {
            for (int block = 0; block < blocks; block++)
            {
                Gemm.RunRowBlock(op, block, blockRows, chunks, kernels);
            }

            return;
        }

        try
        {
            (s_op, s_blocks, s_blockRows, s_chunks, s_kernels) = (op, blocks, blockRows, chunks, kernels);
            s_next = 0;
            int workers = Math.Min(s_threads!.Length, blocks - 1);
            s_pending = workers + 1;
            Done.Reset();
            Wake.Release(workers);
            Work();
            Done.Wait();
        }
        finally
        {
            Volatile.Write(ref s_busy, 0);
        }
    }

    /// <summary>Takes blocks until none are left, then reports this thread finished.</summary>
    private static void Work()
    {
        int block;
        while ((block = Interlocked.Increment(ref s_next) - 1) < s_blocks)
        {
            Gemm.RunRowBlock(s_op, block, s_blockRows, s_chunks, s_kernels);
        }

        if (Interlocked.Decrement(ref s_pending) == 0)
        {
            Done.Set();
        }
    }

    private static void EnsureStarted()
    {
        if (Volatile.Read(ref s_threads) is not null)
        {
            return;
        }

        lock (Gate)
        {
            if (s_threads is not null)
            {
                return;
            }

            var threads = new Thread[Math.Max(0, Environment.ProcessorCount - 1)];
            for (int i = 0; i < threads.Length; i++)
            {
                threads[i] = new Thread(() =>
                {
                    while (true)
                    {
                        Wake.Wait();
                        Work();
                    }
                })
                { IsBackground = true, Name = $"DeepScratch GEMM {i + 1}" };
                threads[i].Start();
            }

            Volatile.Write(ref s_threads, threads);
        }
    }
}
