using DeepScratch.Kernels;

namespace DeepScratch.Tests.Kernels;

/// <summary>
/// The pool runs every block of every job exactly once and returns only when all are done, however late its worker
/// wakes: a stream of short jobs (the pattern of a training step's small products), some of them slow, checked against
/// per-block counters; callers on several threads at once (all but one find the pool busy and run their blocks
/// themselves); and the object-state form.
/// </summary>
public unsafe class WorkerPoolTests
{
    private struct Job
    {
        public int* Counts;
        public int Spin;
        public int Finished;
    }

    private static void CountBlock(void* state, int block)
    {
        var job = (Job*)state;
        // Some blocks take a while, so that the caller runs out of blocks while a worker still holds one.
        for (int i = 0; i < (block % 3 == 0 ? job->Spin : job->Spin / 10); i++)
        {
            Thread.SpinWait(1);
        }

        Interlocked.Increment(ref job->Counts[block]);
        Interlocked.Increment(ref job->Finished);
    }

    [Fact]
    public void Every_block_of_every_short_job_runs_exactly_once_before_the_call_returns()
    {
        var random = new Random(5);
        var counts = new int[64];
        fixed (int* pc = counts)
        {
            for (int round = 0; round < 3_000; round++)
            {
                int blocks = random.Next(1, 65);
                Array.Clear(counts);
                // Mostly short jobs (a worker that wakes late finds them over), every fourth long enough that it joins in.
                var job = new Job { Counts = pc, Spin = random.Next(4) == 0 ? 5_000 : 0 };
                WorkerPool.Run(&CountBlock, &job, blocks);
                // Returned: every block ran once (none twice, none after the return).
                Assert.Equal(blocks, Volatile.Read(ref job.Finished));
                for (int b = 0; b < 64; b++)
                {
                    Assert.True(counts[b] == (b < blocks ? 1 : 0), $"round {round}: block {b} of {blocks} ran {counts[b]} times");
                }
            }
        }
    }

    [Fact]
    public void Callers_on_four_threads_at_once_each_get_all_their_blocks_run_once()
    {
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            var counts = new int[16];
            fixed (int* pc = counts)
            {
                for (int round = 0; round < 5_000; round++)
                {
                    Array.Clear(counts);
                    var job = new Job { Counts = pc, Spin = round % 7 == 0 ? 100 : 0 };
                    int blocks = 2 + (round + t) % 15;
                    WorkerPool.Run(&CountBlock, &job, blocks);
                    if (job.Finished != blocks || counts.Take(blocks).Any(c => c != 1) || counts.Skip(blocks).Any(c => c != 0))
                    {
                        failures.Add($"thread {t} round {round}: {job.Finished} of {blocks} finished, counts [{string.Join(",", counts)}]");
                    }
                }
            }
        })).ToArray();
        foreach (var thread in threads)
        {
            thread.Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        Assert.Empty(failures);
    }

    private sealed class Counter
    {
        public readonly int[] Counts = new int[32];
    }

    private static void CountObjectBlock(object state, int block) => Interlocked.Increment(ref ((Counter)state).Counts[block]);

    [Fact]
    public void The_object_state_form_runs_every_block_once()
    {
        for (int blocks = 1; blocks <= 32; blocks++)
        {
            var counter = new Counter();
            WorkerPool.Run(&CountObjectBlock, counter, blocks);
            Assert.Equal(Enumerable.Range(0, 32).Select(b => b < blocks ? 1 : 0), counter.Counts);
        }
    }

    private sealed class Failing
    {
        public readonly int[] Counts = new int[8];
    }

    private static void FailOnBlockThree(object state, int block)
    {
        Thread.SpinWait(2_000);
        Interlocked.Increment(ref ((Failing)state).Counts[block]);
        if (block == 3)
        {
            throw new InvalidOperationException("block 3 failed");
        }
    }

    [Fact]
    public void A_block_that_throws_fails_the_call_after_every_block_ran_and_the_pool_keeps_working()
    {
        for (int round = 0; round < 200; round++)
        {
            var failing = new Failing();
            var e = Assert.Throws<InvalidOperationException>(() => WorkerPool.Run(&FailOnBlockThree, failing, 8));
            Assert.Equal("block 3 failed", e.Message);
            Assert.Equal(Enumerable.Repeat(1, 8), failing.Counts);

            var counter = new Counter();
            WorkerPool.Run(&CountObjectBlock, counter, 16);
            Assert.Equal(Enumerable.Range(0, 32).Select(b => b < 16 ? 1 : 0), counter.Counts);
        }
    }
    private sealed class Nested
    {
        public readonly Failing Inner = new();
        public Exception? Thrown;
    }

    private static void RunFailingInside(object state, int block)
    {
        if (block == 0)
        {
            // The pool is busy with the outer job, so this call runs its 8 blocks on this thread.
            var nested = (Nested)state;
            nested.Thrown = Record.Exception(() => WorkerPool.Run(&FailOnBlockThree, nested.Inner, 8));
        }
    }

    [Fact]
    public void A_call_run_on_its_callers_thread_also_runs_every_block_before_rethrowing()
    {
        for (int round = 0; round < 20; round++)
        {
            var nested = new Nested();
            WorkerPool.Run(&RunFailingInside, nested, 2);
            Assert.Equal("block 3 failed", Assert.IsType<InvalidOperationException>(nested.Thrown).Message);
            Assert.Equal(Enumerable.Repeat(1, 8), nested.Inner.Counts);
        }
    }
    [Theory]
    [InlineData(100, 1, 2)]
    [InlineData(100, 6, 2)]
    [InlineData(512, 12, 2)]
    [InlineData(2048, 12, 8)]
    [InlineData(7, 12, 2)]
    [InlineData(10000, 1, 3)]
    public void Shares_cover_every_item_once_in_order_starting_on_whole_units(int count, int unit, int shares)
    {
        var seen = new int[count];
        int previousEnd = 0;
        for (int share = 0; share < shares; share++)
        {
            var (start, end) = WorkerPool.ShareOf(count, unit, share, shares);
            Assert.Equal(previousEnd, start);
            Assert.True(start == count || start % unit == 0, $"share {share} starts at {start}, not on a unit of {unit}");
            for (int i = start; i < end; i++)
            {
                seen[i]++;
            }

            previousEnd = end;
        }

        Assert.Equal(count, previousEnd);
        Assert.All(seen, n => Assert.Equal(1, n));

        // As even as whole units allow: no share holds more than one unit beyond another's (plus the last's tail).
        var sizes = Enumerable.Range(0, shares).Select(s => WorkerPool.ShareOf(count, unit, s, shares)).Select(r => r.End - r.Start).ToArray();
        Assert.True(sizes.Max() - sizes.Min() <= 2 * unit, $"shares of {count} by {unit}: {string.Join(", ", sizes)}");
    }
}
