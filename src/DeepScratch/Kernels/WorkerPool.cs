namespace DeepScratch.Kernels;

/// <summary>
/// A fixed set of background threads that run the blocks of one job at a time (a GEMM's row blocks, or any block
/// function given as a function pointer with a caller-owned state), with the calling thread taking part. Unlike
/// <c>Parallel.For</c> it allocates nothing per call, so a predictor's or a training step's steady state produces no
/// garbage. A call that finds the pool busy (another thread is mid-job), or a process with one processor, runs its
/// blocks on its own thread.
/// </summary>
/// <remarks>
/// Blocks are claimed with a ticket holding the job's generation and its next block, taken by compare-and-swap: a
/// worker that wakes after its job is over claims nothing and touches nothing, so the caller waits only for blocks
/// that are running, never for a worker to wake up. (Waiting for every woken worker cost a thread wake-up, tens of
/// microseconds on a virtual machine, on each of the small products of a training step.)
/// </remarks>
internal static unsafe class WorkerPool
{
    private static readonly object Gate = new();
    private static readonly SemaphoreSlim Wake = new(0);
    private static readonly ManualResetEventSlim Done = new(false);
    private static Thread[]? s_threads;
    private static int s_busy;

    // The job being run: written only by the owner of s_busy before it publishes the job's ticket, read by a thread
    // only while it holds a claimed block of that job (so the owner cannot be writing the next job's).
    private static Operation s_op;
    private static int s_blocks;
    private static int s_unit;
    private static int s_chunks;
    private static KernelSet s_kernels;
    private static delegate*<void*, int, void> s_body;
    private static void* s_state;
    private static delegate*<object, int, void> s_objectBody;
    private static object? s_object;

    /// <summary>
    /// (generation &lt;&lt; 32) | next unclaimed block of the current job; the block part is <see cref="Closed"/> between
    /// jobs, so that no block can be claimed while the owner writes the next job.
    /// </summary>
    private static long s_ticket = Closed;

    private const int Closed = int.MaxValue;

    /// <summary>Blocks of the current job finished.</summary>
    private static int s_completed;

    /// <summary>The first exception a block of the current job threw, rethrown on the caller.</summary>
    private static Exception? s_failure;

    /// <summary>Runs <c>body(state, block)</c> for blocks [0, blocks) across the pool and waits for all.</summary>
    /// <remarks><paramref name="state"/> must stay valid (pinned, or on the caller's stack) until the call returns.</remarks>
    public static void Run(delegate*<void*, int, void> body, void* state, int blocks)
    {
        if (!TryOwn(blocks))
        {
            var inline = new PointerBlocks(body, state);
            RunHere(ref inline, blocks);
            return;
        }

        try
        {
            s_body = body;
            s_state = state;
            Start(blocks);
        }
        finally
        {
            s_body = null;
            s_state = null;
            Volatile.Write(ref s_busy, 0);
        }
    }

    /// <summary>Runs <c>body(state, block)</c> for blocks [0, blocks) across the pool and waits for all: for a state that is an object.</summary>
    public static void Run(delegate*<object, int, void> body, object state, int blocks)
    {
        if (!TryOwn(blocks))
        {
            var inline = new ObjectBlocks(body, state);
            RunHere(ref inline, blocks);
            return;
        }

        try
        {
            s_objectBody = body;
            s_object = state;
            Start(blocks);
        }
        finally
        {
            s_objectBody = null;
            s_object = null;
            Volatile.Write(ref s_busy, 0);
        }
    }

    /// <summary>Runs row blocks [0, blocks) of <paramref name="op"/>, in whole units of <paramref name="unit"/> rows (<see cref="Gemm.RunShare"/>), and waits for all.</summary>
    public static void Run(in Operation op, int blocks, int unit, int chunks, KernelSet kernels)
    {
        if (!TryOwn(blocks))
        {
            var inline = new OperationBlocks(op, blocks, unit, chunks, kernels);
            RunHere(ref inline, blocks);
            return;
        }

        try
        {
            (s_op, s_unit, s_chunks, s_kernels) = (op, unit, chunks, kernels);
            Start(blocks);
        }
        finally
        {
            Volatile.Write(ref s_busy, 0);
        }
    }

    /// <summary>
    /// Share <paramref name="share"/> of <paramref name="shares"/> of <paramref name="count"/> items: whole units of
    /// <paramref name="unit"/> items dealt out as evenly as they go, the last share also taking the items past the last
    /// whole unit. The shares cover [0, count) once, in order.
    /// </summary>
    public static (int Start, int End) ShareOf(int count, int unit, int share, int shares)
    {
        long units = ((long)count + unit - 1) / unit;
        return ((int)Math.Min(count, units * share / shares * unit), (int)Math.Min(count, units * (share + 1) / shares * unit));
    }

    /// <summary>
    /// Runs every block on the calling thread (one block, no worker, or the pool busy with another caller's job), with
    /// the pool's contract: a block that throws does not stop the others, and the first exception is rethrown once all
    /// have run.
    /// </summary>
    private static void RunHere<TBlocks>(ref TBlocks job, int blocks)
        where TBlocks : struct, IBlocks
    {
        Exception? failure = null;
        for (int block = 0; block < blocks; block++)
        {
            try
            {
                job.Run(block);
            }
            catch (Exception e)
            {
                failure ??= e;
            }
        }

        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
    }

    /// <summary>One kind of job's block, run on the calling thread.</summary>
    private interface IBlocks
    {
        void Run(int block);
    }

    private readonly struct PointerBlocks(delegate*<void*, int, void> body, void* state) : IBlocks
    {
        public void Run(int block) => body(state, block);
    }

    private readonly struct ObjectBlocks(delegate*<object, int, void> body, object state) : IBlocks
    {
        public void Run(int block) => body(state, block);
    }

    private readonly struct OperationBlocks(Operation op, int blocks, int unit, int chunks, KernelSet kernels) : IBlocks
    {
        private readonly Operation _op = op;

        public void Run(int block) => Gemm.RunShare(_op, block, blocks, unit, chunks, kernels);
    }

    /// <summary>Whether this call runs on the pool: more than one block, a worker thread to share them with, and the pool free.</summary>
    private static bool TryOwn(int blocks)
    {
        if (blocks <= 1)
        {
            return false;
        }

        EnsureStarted();
        return s_threads!.Length > 0 && Interlocked.CompareExchange(ref s_busy, 1, 0) == 0;
    }

    /// <summary>Publishes the job just stored under a new ticket, wakes the workers, takes part, and waits for the claimed blocks.</summary>
    private static void Start(int blocks)
    {
        s_blocks = blocks;
        s_completed = 0;
        Done.Reset();
        long generation = (Volatile.Read(ref s_ticket) >> 32) + 1;
        Volatile.Write(ref s_ticket, generation << 32);
        Wake.Release(Math.Min(s_threads!.Length, blocks - 1));
        try
        {
            Work();
        }
        finally
        {
            // Always waited on, even when every block looks finished: the thread whose increment finished the job
            // sets Done after it, and a Set arriving late would end the next job's wait early.
            Done.Wait();

            // Every block is claimed and finished: close the ticket before the owner writes another job.
            Volatile.Write(ref s_ticket, (generation << 32) | Closed);
        }

        if (s_failure is { } failure)
        {
            s_failure = null;
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
    }

    /// <summary>Claims and runs blocks of the current job until none is left unclaimed.</summary>
    private static void Work()
    {
        while (true)
        {
            long ticket = Volatile.Read(ref s_ticket);
            int block = (int)ticket;
            // A closed ticket, or every block claimed (s_blocks may then already be the next job's: the ticket, closed
            // before the next job is written, makes the exchange below fail).
            if (block >= Volatile.Read(ref s_blocks))
            {
                return;
            }

            if (Interlocked.CompareExchange(ref s_ticket, ticket + 1, ticket) != ticket)
            {
                continue;
            }

            // Read while the block is held (the job cannot end before it), not after the increment below.
            int blocks = s_blocks;
            try
            {
                if (s_body != null)
                {
                    s_body(s_state, block);
                }
                else if (s_objectBody != null)
                {
                    s_objectBody(s_object!, block);
                }
                else
                {
                    Gemm.RunShare(s_op, block, blocks, s_unit, s_chunks, s_kernels);
                }
            }
            catch (Exception e)
            {
                // Thrown on the caller once every block is done (a worker's would otherwise end the process).
                Interlocked.CompareExchange(ref s_failure, e, null);
            }
            finally
            {
                if (Interlocked.Increment(ref s_completed) == blocks)
                {
                    Done.Set();
                }
            }
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
