namespace DeepScratch.Kernels;

/// <summary>
/// A fixed set of background threads that run the row blocks of one GEMM at a time, with the calling thread
/// taking part. Unlike <c>Parallel.For</c> it allocates nothing per call, so a predictor's steady state produces no
/// garbage. A call that finds the pool busy (another thread is mid-GEMM) runs its blocks on its own thread instead.
/// Besides GEMM row blocks it runs any block function given as a function pointer with a caller-owned state
/// (the convolution kernels), still without allocating.
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
    private static int s_unit;
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
        if (blocks <= 1 || Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
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

    /// <summary>Runs row blocks [0, blocks) of <paramref name="op"/>, in whole units of <paramref name="unit"/> rows (<see cref="Gemm.RunShare"/>), and waits for all.</summary>
    public static void Run(in Operation op, int blocks, int unit, int chunks, KernelSet kernels)
    {
        EnsureStarted();
        if (Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
        {
            for (int block = 0; block < blocks; block++)
            {
                Gemm.RunShare(op, block, blocks, unit, chunks, kernels);
            }

            return;
        }

        try
        {
            (s_op, s_blocks, s_unit, s_chunks, s_kernels) = (op, blocks, unit, chunks, kernels);
            Start(blocks);
        }
        finally
        {
            Volatile.Write(ref s_busy, 0);
        }
    }

    /// <summary>Wakes the workers for the job just stored, takes part, and waits until every block is done.</summary>
    private static void Start(int blocks)
    {
        s_next = 0;
        int workers = Math.Min(s_threads!.Length, blocks - 1);
        s_pending = workers + 1;
        Done.Reset();
        Wake.Release(workers);
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
                Gemm.RunShare(s_op, block, s_blocks, s_unit, s_chunks, s_kernels);
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
