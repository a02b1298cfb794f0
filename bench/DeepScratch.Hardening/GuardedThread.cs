using System.Diagnostics;

namespace DeepScratch.Hardening;

/// <summary>What one guarded job did: its exception (null if it returned), the bytes it allocated on its thread, its time, and whether it hung.</summary>
public sealed record GuardedOutcome(Exception? Error, long AllocatedBytes, TimeSpan Elapsed, bool Hung);

/// <summary>
/// Runs jobs one at a time on a background thread of the default stack size (so deep recursion would crash here as on
/// any thread), counts what each allocated on that thread, and bounds its time. The limit only detects a hang: a hung
/// thread is abandoned (background) and the next job gets a fresh one. Used by the fuzz and pickle harnesses.
/// </summary>
public sealed class GuardedThread : IDisposable
{
    private readonly string _name;
    private Worker _worker;

    /// <summary>A guarded thread named <paramref name="name"/> (seen in a debugger or a dump).</summary>
    public GuardedThread(string name)
    {
        _name = name;
        _worker = new Worker(name);
    }

    /// <summary>Runs <paramref name="job"/> on a fresh guarded thread that ends after it (when it does not hang).</summary>
    public static GuardedOutcome RunOnce(Action job, TimeSpan timeout, string name = "guarded job")
    {
        using var thread = new GuardedThread(name);
        return thread.Run(job, timeout);
    }

    /// <summary>Runs <paramref name="job"/>; after <paramref name="timeout"/> without an answer, reports a hang and abandons the thread.</summary>
    public GuardedOutcome Run(Action job, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        if (_worker.Run(job, timeout) is { } done)
        {
            return done with { Elapsed = clock.Elapsed };
        }

        _worker.Stop();
        _worker = new Worker(_name);
        return new GuardedOutcome(null, 0, clock.Elapsed, Hung: true);
    }

    /// <summary>Lets the thread end once its job (if any) returns.</summary>
    public void Dispose() => _worker.Stop();

    /// <summary>One background thread waiting for jobs; a null job ends it.</summary>
    private sealed class Worker
    {
        private readonly AutoResetEvent _go = new(false);
        private readonly AutoResetEvent _done = new(false);
        private Action? _job;
        private GuardedOutcome? _result;

        public Worker(string name) => new Thread(Loop) { IsBackground = true, Name = name }.Start();

        public GuardedOutcome? Run(Action job, TimeSpan timeout)
        {
            _job = job;
            _go.Set();
            return _done.WaitOne(timeout) ? _result : null;
        }

        public void Stop()
        {
            _job = null;
            _go.Set();
        }

        private void Loop()
        {
            while (true)
            {
                _go.WaitOne();
                if (_job is not { } job)
                {
                    return;
                }

                long before = GC.GetAllocatedBytesForCurrentThread();
                Exception? error = null;
                try
                {
                    job();
                }
                catch (Exception e)
                {
                    error = e;
                }

                _result = new GuardedOutcome(error, GC.GetAllocatedBytesForCurrentThread() - before, TimeSpan.Zero, Hung: false);
                _done.Set();
            }
        }
    }
}
