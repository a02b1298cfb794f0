namespace DeepScratch.Tests;

/// <summary>
/// Counts the bytes an action allocates on the calling thread. It runs inside a no-GC region because a collection
/// triggered meanwhile by another test retires this thread's allocation buffer, and the counter then reports the
/// buffer's unused tail as allocated (seen here: 7,536 phantom bytes): the count must be the action's alone.
/// </summary>
internal static class Allocations
{
    public static long OnThisThread(Action action)
    {
        bool noGc = GC.TryStartNoGCRegion(16 * 1024 * 1024);
        try
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            action();
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
        finally
        {
            if (noGc && System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.NoGCRegion)
            {
                GC.EndNoGCRegion();
            }
        }
    }
}
