namespace DeepScratch.Kernels;

/// <summary>
/// A fixed set of background threads that run the row blocks of one GEMM at a time, with the calling thread
/// taking part. Unlike <c>Parallel.For</c> it allocates nothing per call, so a predictor's steady state produces no
/// garbage. A call that finds the pool busy (another thread is mid-GEMM) runs its blocks on its own thread instead.
/// Besides GEMM row blocks it runs any block function given as a function pointer with a caller-owned state
/// (the convolution kernels), still without allocating. With one processor the pool has no threads, and the caller
/// runs every block itself.
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
    private static delegate*<void*, int, void> s_body;
    private static void* s_state;

    /// <summary>Runs <c>body(state, block)</c> for blocks [0, blocks) across the pool and waits for all.</summary>
    /// <remarks><paramref name="state"/> must stay valid (pinned, or on the caller's stack) until the call returns.</remarks>
    public static void Run(delegate*<void*, int, void> body, void* state, int blocks)
    {
        EnsureStarted();
        if (!TakePool(blocks))
        {
            for (int block = 0; block < blocks; block++)
            {
                body(state, block);
            }

            return;
        }

        try
        {
            s_body = body;
            s_state = state;
            s_blocks = blocks;
            Start(blocks);
        }
        finally
        {
            s_body = null;
            s_state = null;
            Volatile.Write(ref s_busy, 0);
        }
    }

    /// <summary>Runs row blocks [0, blocks) of <paramref name="op"/>, each <paramref name="blockRows"/> rows, and waits for all.</summary>
    public static void Run(in Operation op, int blocks, int blockRows, int chunks, KernelSet kernels)
    {
        EnsureStarted();
        if (!TakePool(blocks))
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
            Start(blocks);
        }
        finally
        {
            Volatile.Write(ref s_busy, 0);
        }
    }

    /// <summary>
    /// True when the caller now owns the pool for a job of <paramref name="blocks"/> blocks; false when it should run
    /// them itself: one block or none, no worker threads (one processor), or the pool busy with another caller's job.
    /// </summary>
    private static bool TakePool(int blocks) =>
        blocks > 1 && s_threads!.Length > 0 && Interlocked.CompareExchange(ref s_busy, 1, 0) == 0;

    /// <summary>Wakes the workers for the job just stored, takes part, and waits until every block is done.</summary>
    private static void Start(int blocks)
    {
        s_next = 0;
        int workers = Math.Clamp(blocks - 1, 0, s_threads!.Length);
        s_pending = workers + 1;
        Done.Reset();
        if (workers > 0)
        {
            // SemaphoreSlim.Release refuses a count of 0.
            Wake.Release(workers);
        }

        Work();
        Done.Wait();
    }

    /// <summary>Takes blocks until none are left, then reports this thread finished.</summary>
    private static void Work()
    {
        int block;
        while ((block = Interlocked.Increment(ref s_next) - 1) < s_blocks)
        {
            if (s_body != null)
            {
                s_body(s_state, block);
            }
            else
            {
                Gemm.RunRowBlock(s_op, block, s_blockRows, s_chunks, s_kernels);
            }
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
