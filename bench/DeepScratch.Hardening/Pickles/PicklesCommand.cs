using System.Globalization;
using System.Text.Json;

namespace DeepScratch.Hardening.Pickles;

/// <summary>
/// <c>pickles [--seed N] [--count N] [--seconds S] [--json FILE] [--book PKL] [--python PATH] [--scale X]</c>: runs
/// <see cref="HostilePickleHarness"/>, prints its figures as one table, exit 0 when every payload was refused with
/// no side effect and every amplifying pickle stayed bounded, 1 otherwise, 2 for a bad argument, 3 when Python
/// cannot generate or check the corpus.
/// </summary>
public static class PicklesCommand
{
    public const string Summary = "hostile pickles: dangerous callables by every route and context, amplifying pickles";

    public static int Run(string[] args)
    {
        var options = new PickleHarnessOptions { BookPickle = DefaultBook() };
        string? json = null;
        for (int i = 0; i < args.Length; i++)
        {
            string? value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--seed" when TryInt(value, out int seed): options = options with { Seed = seed }; i++; break;
                case "--count" when TryInt(value, out int count) && count >= 0: options = options with { Count = count }; i++; break;
                case "--seconds" when TryDouble(value, out double seconds) && seconds > 0: options = options with { Seconds = seconds }; i++; break;
                case "--scale" when TryDouble(value, out double scale) && scale >= 0: options = options with { AmplifyingScale = scale }; i++; break;
                case "--json" when value is not null: json = value; i++; break;
                case "--book" when value is not null: options = options with { BookPickle = value == "-" ? null : value }; i++; break;
                case "--python" when value is not null: options = options with { Python = value }; i++; break;
                default:
                    Console.Error.WriteLine($"hardening pickles: bad argument '{args[i]}'{(value is null ? "" : $" '{value}'")} "
                        + "(options: --seed N --count N --seconds S --json FILE --book PKL|- --python PATH --scale X)");
                    return 2;
            }
        }

        if (options.BookPickle is not null && !File.Exists(options.BookPickle))
        {
            Console.Error.WriteLine($"hardening pickles: {options.BookPickle}: no such file (give --book PATH, or --book - to leave the book's dict out)");
            return 2;
        }

        if (!File.Exists(options.Python))
        {
            Console.Error.WriteLine($"hardening pickles: {options.Python}: no such file; the corpus is generated and checked by Python 3 with numpy (--python PATH)");
            return 2;
        }

        // Python missing numpy, or the generator failing, reaches Program.Main: one line, exit 3.
        var report = HostilePickleHarness.Run(options, Console.Error);
        Print(report, Console.Out);
        if (json is not null)
        {
            File.WriteAllText(json, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
        }

        return report.Passed ? 0 : 1;
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

        foreach (var f in report.Failures.Take(20))
        {
            output.WriteLine($"FAIL {f.File} {f.Callable} via {f.Route} in {f.Context}: {f.Problem}");
        }

        output.WriteLine($"{(report.Passed ? "PASS" : "FAIL")}: {report.Refused}/{report.Payloads} refused, {report.SideEffects} side effects, "
            + $"{report.LiveUnderPython}/{report.WithSideEffect} effects live under Python, {report.Failures.Count} failures, "
            + $"{report.NotTried} not tried, {report.Seconds:F1} s");
    }

    private static string? DefaultBook()
    {
        string? data = Environment.GetEnvironmentVariable("DEEPSCRATCH_DATA");
        string? path = data is null ? null : Path.Combine(data, "weights", "sample_weight.pkl");
        return path is not null && File.Exists(path) ? path : null;
    }

    private static bool TryInt(string? text, out int value) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value);

    private static bool TryDouble(string? text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
}
