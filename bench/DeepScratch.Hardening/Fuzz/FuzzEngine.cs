using System.Diagnostics;

namespace DeepScratch.Hardening.Fuzz;

/// <summary>What the fuzz engine does: which formats, how many inputs, for how long, and where failures go.</summary>
public sealed record FuzzOptions
{
    /// <summary>The seed every input derives from, with the format's name and the input's index.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Inputs per format; with <see cref="Seconds"/> too, whichever ends first.</summary>
    public int Count { get; init; } = 1000;

    /// <summary>Wall-time limit per format in seconds, or 0 for none.</summary>
    public double Seconds { get; init; }

    /// <summary>The folder failing inputs are saved to (created when needed).</summary>
    public required string OutDirectory { get; init; }

    /// <summary>How long one input may take before it counts as a hang (10 s).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The bytes added to the denominator of the memory ratio, so tiny inputs are not judged by fixed costs (64 KiB).</summary>
    public long FloorBytes { get; init; } = 64 << 10;

    /// <summary>
    /// The worst memory ratio accepted (24). The pickle reader's allocation budget allows 8 bytes per input byte plus
    /// 1 MiB, at most 16 times (input + the 64 KiB floor); the other readers stay near 3. A reader that allocates on a
    /// lying header's word shows ratios in the hundreds or thousands (the PNG reader's was 2,952 before it was fixed).
    /// </summary>
    public const double DefaultMaxMemoryRatio = 24;

    /// <summary>The worst memory ratio a format may show before the run fails (<see cref="DefaultMaxMemoryRatio"/>).</summary>
    public double MaxMemoryRatio { get; init; } = DefaultMaxMemoryRatio;

    /// <summary>Receives one line per finished format and one every ~10 s, or null.</summary>
    public Action<string>? Progress { get; init; }
}

/// <summary>One input the reader mishandled: an undocumented exception, a bad message, an inconsistent result or a hang.</summary>
/// <param name="Index">The input's index (with the seed and format, it replays the input).</param>
/// <param name="Kind">"internal error" or "hang".</param>
/// <param name="Detail">The exception type and message, or the time limit.</param>
/// <param name="SavedAs">The file the input was saved to, for --replay.</param>
public sealed record FuzzFailure(int Index, string Kind, string Detail, string SavedAs);

/// <summary>The figures of one format.</summary>
public sealed record FormatReport(
    string Format,
    string Reader,
    int Inputs,
    int Accepted,
    int Refused,
    int InternalErrors,
    int Hangs,
    double WorstMemoryRatio,
    int WorstMemoryIndex,
    long WorstMemoryAllocated,
    long WorstMemoryInputBytes,
    double InputsPerSecond,
    IReadOnlyList<FuzzFailure> Failures);

/// <summary>The figures of a whole run.</summary>
public sealed record FuzzReport(int Seed, long FloorBytes, double TimeoutSeconds, IReadOnlyList<FormatReport> Formats, IReadOnlyList<string> Notes)
{
    /// <summary>The worst memory ratio accepted in this run (<see cref="FuzzOptions.MaxMemoryRatio"/>).</summary>
    public double MaxMemoryRatio { get; init; } = FuzzOptions.DefaultMaxMemoryRatio;

    /// <summary>True when no format had an internal error or a hang, and none allocated above <see cref="MaxMemoryRatio"/>.</summary>
    public bool Clean => Formats.All(f => f.InternalErrors == 0 && f.Hangs == 0 && f.WorstMemoryRatio <= MaxMemoryRatio);

    /// <summary>How many checks failed: one per format with internal errors, with hangs, or above the memory bound.</summary>
    public int FailedChecks => FuzzCommand.FailedChecks(this).Count;
}

/// <summary>How one input ended.</summary>
public enum FuzzVerdict
{
    /// <summary>Read, and the result is consistent.</summary>
    Accepted,

    /// <summary>Refused with a documented exception and a one-line message.</summary>
    Refused,

    /// <summary>Anything else: an undocumented exception, an empty or multi-line message, an inconsistent result.</summary>
    InternalError,

    /// <summary>Did not finish within the time limit.</summary>
    Hang,
}

/// <summary>One input's outcome: verdict, detail, bytes allocated on the reading thread, bytes of output, and the output bytes its header honestly requests.</summary>
public sealed record FuzzOutcome(FuzzVerdict Verdict, string Detail, long Allocated, long OutputBytes, long RequestedBytes = 0);

/// <summary>
/// Runs seeded mutated inputs through readers, each on a watchdog thread bounded in time, and sorts every outcome into
/// accepted, refused (the documented exception, one-line message), internal error or hang. Memory is measured as the
/// bytes allocated on the reading thread (<see cref="GC.GetAllocatedBytesForCurrentThread"/> delta), an upper bound of
/// the managed memory the input made the reader hold at once; the ratio is that over input bytes + output bytes + a floor.
/// </summary>
public sealed class FuzzEngine(IReadOnlyList<FuzzTarget> targets, string workDirectory)
{
    private readonly GuardedThread _watchdog = new("fuzz reader");

    /// <summary>The targets, in order.</summary>
    public IReadOnlyList<FuzzTarget> Targets { get; } = targets;

    /// <summary>The input number <paramref name="index"/> of <paramref name="target"/> for <paramref name="seed"/>: the same bytes every time.</summary>
    public static byte[] Input(FuzzTarget target, int seed, int index) => Mutator.Mutate(target, new Random(InputSeed(seed, target.Name, index)));

    /// <summary>The seed of one input's <see cref="Random"/>: a stable hash of (seed, format, index), the same in every process.</summary>
    public static int InputSeed(int seed, string format, int index)
    {
        ulong hash = 14695981039346656037UL;
        foreach (char c in $"{seed}/{format}/{index}")
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return (int)(hash ^ (hash >> 32)) & int.MaxValue;
    }

    /// <summary>Runs every target with <paramref name="options"/> and returns the figures.</summary>
    public FuzzReport Run(FuzzOptions options, IReadOnlyList<string>? notes = null)
    {
        var reports = new List<FormatReport>();
        foreach (var target in Targets)
        {
            reports.Add(RunTarget(target, options));
        }

        return new FuzzReport(options.Seed, options.FloorBytes, options.Timeout.TotalSeconds, reports, notes ?? []) { MaxMemoryRatio = options.MaxMemoryRatio };
    }

    private FormatReport RunTarget(FuzzTarget target, FuzzOptions options)
    {
        int accepted = 0, refused = 0, errors = 0, hangs = 0, inputs = 0, worstIndex = -1;
        double worst = 0;
        long worstAllocated = 0, worstInput = 0;
        var failures = new List<FuzzFailure>();
        var clock = Stopwatch.StartNew();
        var lastProgress = clock.Elapsed;
        for (int index = 0; index < options.Count; index++)
        {
            if (options.Seconds > 0 && clock.Elapsed.TotalSeconds >= options.Seconds)
            {
                break;
            }

            byte[] input = Input(target, options.Seed, index);
            var outcome = RunOne(target, input, options.Timeout);
            inputs++;
            switch (outcome.Verdict)
            {
                case FuzzVerdict.Accepted: accepted++; break;
                case FuzzVerdict.Refused: refused++; break;
                case FuzzVerdict.InternalError: errors++; break;
                case FuzzVerdict.Hang: hangs++; break;
            }

            if (outcome.Verdict is FuzzVerdict.InternalError or FuzzVerdict.Hang)
            {
                string saved = Save(options.OutDirectory, target, options.Seed, index, input);
                failures.Add(new FuzzFailure(index, outcome.Verdict == FuzzVerdict.Hang ? "hang" : "internal error", outcome.Detail, saved));
            }
            else
            {
                long output = Math.Max(outcome.OutputBytes, outcome.RequestedBytes);
                double ratio = (double)outcome.Allocated / (input.Length + output + options.FloorBytes);
                if (ratio > worst)
                {
                    (worst, worstIndex, worstAllocated, worstInput) = (ratio, index, outcome.Allocated, input.Length);
                }
            }

            if (options.Progress is { } progress && clock.Elapsed - lastProgress > TimeSpan.FromSeconds(10))
            {
                lastProgress = clock.Elapsed;
                progress($"  {target.Name}: {inputs} inputs, {errors} internal errors, {hangs} hangs, {clock.Elapsed.TotalSeconds:F0} s");
            }
        }

        double rate = inputs / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
        var report = new FormatReport(target.Name, target.Reader, inputs, accepted, refused, errors, hangs, worst, worstIndex, worstAllocated, worstInput, rate, failures);
        options.Progress?.Invoke($"{target.Name}: done, {inputs} inputs ({accepted} accepted, {refused} refused), {errors} internal errors, {hangs} hangs, worst memory ratio {worst:F1} (input {worstIndex}), {rate:F0} inputs/s");
        return report;
    }

    /// <summary>Runs one input through <paramref name="target"/> on the watchdog thread and judges the outcome.</summary>
    public FuzzOutcome RunOne(FuzzTarget target, byte[] input, TimeSpan timeout)
    {
        Directory.CreateDirectory(workDirectory);
        string path = Path.Combine(workDirectory, "input" + target.Extension);
        File.WriteAllBytes(path, input);
        // The ratio counts the read's own allocations (measured inside Judge), not the judging around it.
        FuzzOutcome? outcome = null;
        var guarded = _watchdog.Run(() => outcome = Judge(target, input, path), timeout);
        if (guarded.Error is { } e)
        {
            return new FuzzOutcome(FuzzVerdict.InternalError, $"judging the input: {e.GetType().FullName}: {e.Message.ReplaceLineEndings(" | ")} {FirstFrame(e)}", 0, 0);
        }

        if (guarded.Hung || outcome is null)
        {
            // The stuck thread was abandoned (the next input gets a fresh one); the input also gets a fresh file name.
            workDirectory = Path.Combine(workDirectory, "after-hang");
            return new FuzzOutcome(FuzzVerdict.Hang, $"no result within {timeout.TotalSeconds:F0} s", 0, 0);
        }

        return outcome;
    }

    private static FuzzOutcome Judge(FuzzTarget target, byte[] input, string path)
    {
        var outcome = Measure(target, input, path);
        if (outcome.Verdict == FuzzVerdict.InternalError || target.Requested is not { } requested)
        {
            return outcome;
        }

        // Outside the measured span but on this (watched) thread: a library call that hangs here is a hang too.
        try
        {
            return outcome with { RequestedBytes = requested(input) };
        }
        catch (Exception e)
        {
            return new FuzzOutcome(FuzzVerdict.InternalError, $"sizing the request: {e.GetType().FullName}: {e.Message.ReplaceLineEndings(" | ")} {FirstFrame(e)}", 0, 0);
        }
    }

    private static FuzzOutcome Measure(FuzzTarget target, byte[] input, string path)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            long output = target.Read(input, path);
            return new FuzzOutcome(FuzzVerdict.Accepted, "", GC.GetAllocatedBytesForCurrentThread() - before, output);
        }
        catch (Exception e) when (target.IsDocumented(e) && !string.IsNullOrWhiteSpace(e.Message) && !e.Message.Contains('\n'))
        {
            return new FuzzOutcome(FuzzVerdict.Refused, $"{e.GetType().Name}: {e.Message}", GC.GetAllocatedBytesForCurrentThread() - before, 0);
        }
        catch (Exception e)
        {
            string why = target.IsDocumented(e) ? "documented type but not a one-line message" : "undocumented exception";
            return new FuzzOutcome(FuzzVerdict.InternalError, $"{why}: {e.GetType().FullName}: {e.Message.ReplaceLineEndings(" | ")} {FirstFrame(e)}", 0, 0);
        }
    }

    private static string FirstFrame(Exception e) =>
        e.StackTrace?.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim() ?? "(no stack)";

    private static string Save(string folder, FuzzTarget target, int seed, int index, byte[] input)
    {
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, $"{target.Name}-seed{seed}-{index}{target.Extension}");
        File.WriteAllBytes(path, input);
        return path;
    }
}
