namespace DeepScratch.Hardening.Pickles;

/// <summary>
/// <c>pickles [--seed N] [--count N] [--seconds S] [--json FILE] [--data DIR] [--book PKL|-] [--python PATH] [--scale X]</c>: runs
/// <see cref="HostilePickleHarness"/>, prints its figures as one table, exit 0 when every payload was refused with
/// no side effect and every amplifying pickle stayed bounded, 1 otherwise, 2 for a bad argument, 3 when Python
/// or the book's pickle is missing, or Python cannot generate or check the corpus.
/// </summary>
public static class PicklesCommand
{
    public const string Summary = "hostile pickles: dangerous callables by every route and context, amplifying pickles";

    public static int Run(string[] args)
    {
        const string name = "pickles";
        var parsed = HarnessArgs.Parse(name, args, "--seed", "--count", "--seconds", "--json", "--data", "--book", "--python", "--scale");
        var defaults = new PickleHarnessOptions();
        if (parsed?.Seed is not { } seed || parsed.Integer("--count", defaults.Count, 0) is not { } count
            || parsed.Number("--seconds", defaults.Seconds, 0.001) is not { } seconds || parsed.Number("--scale", defaults.AmplifyingScale, 0) is not { } scale)
        {
            return Program.UsageMistake;
        }

        // The book's dict joins the corpus when the data folder has it; --book - leaves it out.
        string bookDefault = Path.Combine(parsed.Data, "weights", "sample_weight.pkl");
        string? book = parsed.Text("--book") is { } given ? (given == "-" ? null : given) : (File.Exists(bookDefault) ? bookDefault : null);
        var options = defaults with { Seed = seed, Count = count, Seconds = seconds, AmplifyingScale = scale, BookPickle = book, Python = parsed.Text("--python") ?? defaults.Python };

        // Missing files are setup failures: Program.Main reports them in one line, exit 3.
        if (options.BookPickle is not null && !File.Exists(options.BookPickle))
        {
            throw new FileNotFoundException($"--book {options.BookPickle}: no such file (give --book PATH, or --book - to leave the book's dict out)");
        }

        if (!File.Exists(options.Python))
        {
            throw new FileNotFoundException($"--python {options.Python}: no such file; the corpus is generated and checked by Python 3 with numpy");
        }

        // Python missing numpy, or the generator failing, reaches Program.Main: one line, exit 3.
        var report = HostilePickleHarness.Run(options, Console.Error);
        Print(report, Console.Out);
        return HarnessOutput.Finish(Console.Out, parsed.Json, report, FailedChecks(report));
    }

    /// <summary>One line per failed check: each failing payload, side effects, effects dead under Python, unbounded amplifying cases.</summary>
    public static IReadOnlyList<string> FailedChecks(PickleHarnessReport report)
    {
        var failed = report.Failures.Select(f => $"{f.File} {f.Callable} via {f.Route} in {f.Context}: {f.Problem}").ToList();

        // A run cut short by --seconds proved nothing about the payloads it skipped: it is INCOMPLETE, not a PASS.
        if (report.Payloads == 0)
        {
            failed.Add($"INCOMPLETE: no payload tried ({report.NotTried} not tried within the time limit; raise --seconds)");
        }
        else if (report.NotTried > 0)
        {
            failed.Add($"INCOMPLETE: {report.NotTried} payloads not tried within the time limit (raise --seconds)");
        }
        if (report.Refused != report.Payloads && report.Failures.Count == 0)
        {
            failed.Add($"{report.Payloads - report.Refused} payloads not refused");
        }

        if (report.SideEffects != 0)
        {
            failed.Add($"{report.SideEffects} side effects happened");
        }

        if (report.LiveUnderPython != report.WithSideEffect)
        {
            failed.Add($"{report.WithSideEffect - report.LiveUnderPython} payloads' effects did not happen under Python");
        }

        failed.AddRange(report.Amplifying.Where(a => !a.WithinBound).Select(a => $"amplifying {a.Case}: {a.AllocatedBytes} bytes allocated, out of bound"));
        return failed;
    }

    /// <summary>The figures as one small table, then the amplifying cases and any failure.</summary>
    public static void Print(PickleHarnessReport report, TextWriter output)
    {
        output.WriteLine($"{"route",-13} {"payloads",8} {"w/effect",8} {"live(py)",8} {"refused",8} {"effects",8}");
        foreach (var r in report.Routes)
        {
            output.WriteLine($"{r.Route,-13} {r.Payloads,8} {r.WithSideEffect,8} {r.LiveUnderPython,8} {r.Refused,8} {r.SideEffects,8}");
        }

        output.WriteLine($"{"total",-13} {report.Payloads,8} {report.WithSideEffect,8} {report.LiveUnderPython,8} {report.Refused,8} {report.SideEffects,8}");
        output.WriteLine();
        output.WriteLine($"{"amplifying case",-50} {"input B",10} {"alloc B",12} {"ratio",8} {"ms",7}  outcome");
        foreach (var a in report.Amplifying)
        {
            output.WriteLine($"{a.Case,-50} {a.InputBytes,10} {a.AllocatedBytes,12} {a.Ratio,8:F2} {a.Milliseconds,7:F0}  {(a.WithinBound ? "" : "OUT OF BOUND ")}{AmplifyingPickles.Shorten(a.Outcome)}");
        }

        if (report.Amplifying.Count > 0)
        {
            var worst = report.Amplifying.MaxBy(a => a.AllocatedBytes)!;
            output.WriteLine($"worst allocation: {worst.AllocatedBytes} bytes ({worst.Case}); slowest: {report.Amplifying.Max(a => a.Milliseconds):F0} ms");
        }

        output.WriteLine($"{report.Refused}/{report.Payloads} refused, {report.SideEffects} side effects, "
            + $"{report.LiveUnderPython}/{report.WithSideEffect} effects live under Python, {report.Failures.Count} failures, "
            + $"{report.NotTried} not tried, {report.Seconds:F1} s");
    }
}
