namespace DeepScratch.Hardening.Pickles;

/// <summary>What one guarded load did: its exception (null if it returned), the bytes it allocated and its time.</summary>
public sealed record GuardedOutcome(Exception? Error, long AllocatedBytes, TimeSpan Elapsed, bool Hung);

/// <summary>
/// Runs one load on its own thread (default stack size, so deep recursion would show as a crash here too) and counts
/// what it allocated on that thread. The time limit only detects a hang: a hung thread is abandoned (background).
/// </summary>
public static class GuardedRun
{
    public static GuardedOutcome Run(Action action, TimeSpan hangGuard)
    {
        Exception? error = null;
        long allocated = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var thread = new Thread(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                action();
            }
            catch (Exception e)
            {
                error = e;
            }

            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        })
        { IsBackground = true, Name = "guarded pickle load" };
        thread.Start();
        bool finished = thread.Join(hangGuard);
        clock.Stop();
        return new GuardedOutcome(error, allocated, clock.Elapsed, !finished);
    }
}
