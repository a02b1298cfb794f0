using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using DeepScratch.Serialization;

namespace DeepScratch.Hardening.Pickles;

/// <summary>Settings of one <see cref="HostilePickleHarness"/> run.</summary>
public sealed record PickleHarnessOptions
{
    /// <summary>Chooses the sample when <see cref="Count"/> is smaller than the corpus.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Payloads loaded by DeepScratch; 0 loads the whole generated corpus (2,800 with the book's pickle).</summary>
    public int Count { get; init; }

    /// <summary>Wall-clock budget for loading payloads; payloads left when it runs out are reported as not tried.</summary>
    public double Seconds { get; init; } = 600;

    /// <summary>The book's <c>sample_weight.pkl</c>, whose real dict is one of the contexts; null leaves that context out.</summary>
    public string? BookPickle { get; init; }

    /// <summary>The Python that generates the corpus and checks that the side-effect payloads really work.</summary>
    public string Python { get; init; } = "/usr/bin/python3";

    /// <summary>Size factor of the quadratic-time and memory-amplifying pickles (1 = the full sizes).</summary>
    public double AmplifyingScale { get; init; } = 1;

    /// <summary>Only detects a hang: a single load taking longer is counted as hung.</summary>
    public TimeSpan HangGuard { get; init; } = TimeSpan.FromSeconds(20);
}

/// <summary>Figures for one route (GLOBAL, REDUCE, INST...).</summary>
/// <param name="Payloads">Payloads loaded through this route.</param>
/// <param name="WithSideEffect">Of those, payloads that would create or delete a file if their callable ran.</param>
/// <param name="LiveUnderPython">Of those, payloads whose effect really happened under Python's <c>pickle.loads</c>.</param>
/// <param name="Refused">Payloads DeepScratch refused with a documented reason at or before the dangerous opcode.</param>
/// <param name="SideEffects">Markers created or victims deleted while DeepScratch loaded them (must be 0).</param>
public sealed record RouteFigures(string Route, int Payloads, int WithSideEffect, int LiveUnderPython, int Refused, int SideEffects);

/// <summary>A payload that was not refused as it must be, or whose effect did not work under Python.</summary>
public sealed record PayloadFailure(string File, string Callable, string Route, string Context, string Problem);

/// <summary>The whole run: per-route figures, the amplifying cases and every failure.</summary>
public sealed record PickleHarnessReport(
    IReadOnlyList<RouteFigures> Routes,
    IReadOnlyList<AmplifyingFigures> Amplifying,
    IReadOnlyList<PayloadFailure> Failures,
    int NotTried,
    double Seconds)
{
    public int Payloads => Routes.Sum(r => r.Payloads);

    public int LiveUnderPython => Routes.Sum(r => r.LiveUnderPython);

    public int WithSideEffect => Routes.Sum(r => r.WithSideEffect);

    public int Refused => Routes.Sum(r => r.Refused);

    public int SideEffects => Routes.Sum(r => r.SideEffects);

    /// <summary>Every payload refused, no side effect, every effect live under Python, every amplifying case bounded.</summary>
    public bool Passed => Failures.Count == 0 && Refused == Payloads && SideEffects == 0 && LiveUnderPython == WithSideEffect
        && Amplifying.All(a => a.WithinBound);
}

/// <summary>
/// Issue 11 item 2: a generated corpus of pickles that reach callables outside the numpy allow-list (os.system,
/// subprocess.Popen, builtins.eval, runpy, numpy.load, pickle.loads, shutil.rmtree...) through every route and in
/// every context, written by <c>bench/reference/hostile_pickles.py</c> under a real Python, which first proves the
/// side-effect payloads work (the marker file appears, the victim folder goes). DeepScratch must then refuse each
/// with its documented <see cref="InvalidDataException"/> at or before the byte offset of the dangerous opcode
/// (so nothing it names was ever constructed) and no marker may appear. Then the amplifying pickles of
/// <see cref="AmplifyingPickles"/>.
/// </summary>
public static class HostilePickleHarness
{
    /// <summary>The refusals <see cref="NumpyPickle"/> documents for code it will not run, and where it says so.</summary>
    private static readonly string[] DocumentedRefusals =
        ["refused global '", "refused opcode ", "' is damaged", "object dtype '"];

    private static readonly Regex AtByte = new(@" at byte (\d+): ", RegexOptions.CultureInvariant);

    public static PickleHarnessReport Run(PickleHarnessOptions options, TextWriter? log = null)
    {
        var clock = Stopwatch.StartNew();
        var scratch = new ScratchFolder("pickles");
        string folder = scratch.Path;
        try
        {
            string script = Path.Combine(folder, "hostile_pickles.py");
            using (var resource = typeof(HostilePickleHarness).Assembly.GetManifestResourceStream("hostile_pickles.py")
                ?? throw new InvalidOperationException("hostile_pickles.py is not embedded in the harness"))
            using (var file = File.Create(script))
            {
                resource.CopyTo(file);
            }

            string corpus = Path.Combine(folder, "corpus");
            RunPython(options.Python, script, "generate", corpus, options.BookPickle ?? "-");
            var manifest = JsonSerializer.Deserialize<List<ManifestEntry>>(File.ReadAllText(Path.Combine(corpus, "manifest.json")), JsonOptions)!;
            log?.WriteLine($"pickles: generated {manifest.Count} payloads in {corpus}");

            // Python loads every side-effect payload, records whether the effect happened, then undoes it.
            RunPython(options.Python, script, "check", corpus);
            var live = JsonSerializer.Deserialize<Dictionary<string, bool>>(File.ReadAllText(Path.Combine(corpus, "live.json")))!;

            var chosen = options.Count > 0 && options.Count < manifest.Count
                ? new List<ManifestEntry>(manifest).Shuffled(options.Seed).Take(options.Count).ToList()
                : manifest;
            var failures = new List<PayloadFailure>();
            var tally = new Dictionary<string, int[]>(StringComparer.Ordinal);
            int notTried = 0;
            foreach (var entry in chosen)
            {
                if (clock.Elapsed.TotalSeconds > options.Seconds)
                {
                    notTried++;
                    continue;
                }

                if (!tally.TryGetValue(entry.Route, out int[]? counts))
                {
                    tally[entry.Route] = counts = new int[5];
                }

                counts[0]++;
                bool expectedLive = entry.Effect is not null;
                if (expectedLive)
                {
                    counts[1]++;
                    if (live.GetValueOrDefault(entry.File))
                    {
                        counts[2]++;
                    }
                    else
                    {
                        failures.Add(Failure(entry, "its side effect did not happen under Python: the payload proves nothing"));
                    }

                    if (Happened(entry))
                    {
                        failures.Add(Failure(entry, "the side effect was already there before DeepScratch loaded it"));
                    }
                }

                string? problem = CheckRefused(entry, Path.Combine(corpus, entry.File), options.HangGuard);
                if (problem is null)
                {
                    counts[3]++;
                }
                else
                {
                    failures.Add(Failure(entry, problem));
                }

                if (expectedLive && Happened(entry))
                {
                    counts[4]++;
                    failures.Add(Failure(entry, "SIDE EFFECT: the marker appeared or the victim was deleted"));
                }
            }

            // Anything started in the background (a Popen) would have had time to act by now.
            Thread.Sleep(500);
            foreach (var entry in chosen.Where(e => e.Effect is not null && Happened(e)))
            {
                tally[entry.Route][4]++;
                failures.Add(Failure(entry, "SIDE EFFECT (late): the marker appeared or the victim was deleted"));
            }

            var routes = tally.OrderBy(t => Array.IndexOf(RouteOrder, t.Key))
                .Select(t => new RouteFigures(t.Key, t.Value[0], t.Value[1], t.Value[2], t.Value[3], t.Value[4])).ToList();
            var amplifying = options.AmplifyingScale > 0
                ? AmplifyingPickles.Run(options.AmplifyingScale, options.HangGuard, log)
                : [];
            return new PickleHarnessReport(routes, amplifying, failures, notTried, clock.Elapsed.TotalSeconds);
        }
        finally
        {
            scratch.Dispose();
        }
    }

    private static readonly string[] RouteOrder =
        ["GLOBAL", "STACK_GLOBAL", "REDUCE", "REDUCE_SG", "BUILD", "INST", "OBJ", "NEWOBJ", "NEWOBJ_EX", "EXT1", "EXT2", "EXT4", "PERSID", "BINPERSID"];

    /// <summary>Null when DeepScratch refused the file with a documented reason at or before its dangerous opcode.</summary>
    private static string? CheckRefused(ManifestEntry entry, string path, TimeSpan hangGuard)
    {
        byte[] bytes = File.ReadAllBytes(path);
        var outcome = GuardedThread.RunOnce(() => NumpyPickle.Load(bytes, entry.File), hangGuard, "guarded pickle load");
        if (outcome.Hung)
        {
            return $"no answer within {hangGuard.TotalSeconds} s";
        }

        if (outcome.Error is null)
        {
            return "LOADED: DeepScratch accepted a hostile pickle";
        }

        if (outcome.Error is not InvalidDataException refused)
        {
            return $"{outcome.Error.GetType().Name} instead of InvalidDataException: {outcome.Error.Message}";
        }

        string message = refused.Message;
        if (!DocumentedRefusals.Any(r => message.Contains(r, StringComparison.Ordinal)))
        {
            return "refused for an undocumented reason (was the dangerous part reached?): " + message;
        }

        var at = AtByte.Match(message);
        if (!at.Success)
        {
            return "the refusal names no byte offset: " + message;
        }

        long offset = long.Parse(at.Groups[1].Value, CultureInfo.InvariantCulture);
        return offset <= entry.DangerAt
            ? null
            : $"refused at byte {offset}, after the dangerous opcode at byte {entry.DangerAt}: {message}";
    }

    private static bool Happened(ManifestEntry entry) =>
        (entry.Marker is not null && File.Exists(entry.Marker)) || (entry.Victim is not null && !File.Exists(entry.Victim));

    private static PayloadFailure Failure(ManifestEntry entry, string problem) =>
        new(entry.File, entry.Callable, entry.Route, entry.Context, problem);

    private static void RunPython(string python, string script, params string[] args)
    {
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // Both pipes read asynchronously, so the 5-minute limit holds even when Python keeps its stdout open.
        var (exit, _, stderr) = ChildProcess.Run(start, TimeSpan.FromMinutes(5), $"{python} hostile_pickles.py {args[0]}");
        if (exit != 0)
        {
            throw new HarnessSetupException($"{python} hostile_pickles.py {args[0]} failed (exit {exit}): {stderr.Trim()}");
        }
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static List<T> Shuffled<T>(this List<T> items, int seed)
    {
        var random = new Random(seed);
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }

        return items;
    }

    private sealed record ManifestEntry(string File, string Callable, string Route, string Context, long DangerAt,
        string? Effect, string? Marker, string? Victim);
}
