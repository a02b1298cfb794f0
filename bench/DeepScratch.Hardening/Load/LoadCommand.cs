using System.Globalization;
using System.Text.Json;

namespace DeepScratch.Hardening.Load;

/// <summary>
/// The command line of the load harness:
/// <c>load [--requests N] [--clients N] [--seconds S] [--seed N] [--images N] [--warmup N] [--json FILE] [--cli PATH] [--data DIR] [--fashion DIR|none]</c>.
/// Prints the figures as one table; exit 0 when every check passed, 1 when one failed, 2 for a bad argument.
/// </summary>
public static class LoadCommand
{
    /// <summary>One line for the harness list.</summary>
    public const string Summary = "deepscratch serve under 16 concurrent clients: valid and malformed requests, 5xx, answers vs the CLI, 413, memory, latency";

    private const string Usage = "usage: load [--requests N] [--clients N] [--seconds S] [--seed N] [--images N] [--warmup N] [--json FILE] [--cli PATH] [--data DIR] [--fashion DIR|none]";

    /// <summary>Runs the harness from the command line.</summary>
    public static int Run(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        LoadOptions options;
        string? jsonPath;
        try
        {
            (options, jsonPath) = Parse(args);
        }
        catch (FormatException e)
        {
            Console.Error.WriteLine($"load: {e.Message} ({Usage})");
            return 2;
        }

        // Setup failures (the CLI or the server not starting, a reference run failing) reach Program.Main: exit 3.
        var report = LoadHarness.Run(options).GetAwaiter().GetResult();
        Print(report, Console.Out);
        if (jsonPath is not null)
        {
            File.WriteAllText(jsonPath, JsonSerializer.Serialize(ToJson(report), new JsonSerializerOptions { WriteIndented = true }));
        }

        return report.Passed ? 0 : 1;
    }

    private static (LoadOptions Options, string? Json) Parse(string[] args)
    {
        string cli = Cli.DefaultPath;
        string data = Environment.GetEnvironmentVariable("DEEPSCRATCH_DATA") is { Length: > 0 } d ? d : "../shared/data";
        string? fashion = DeepScratch.Data.Catalog.FashionSystemFolder;
        string? json = null;
        int requests = 10_000, clients = 16, seed = 1, images = 30, warmup = 1000;
        double seconds = 900;
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{name} needs a value");
            int Int(int min)
            {
                string v = Value();
                return int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= min
                    ? n : throw new FormatException($"{name} must be a whole number >= {min}; got '{v}'");
            }

            switch (name)
            {
                case "--requests": requests = Int(1); break;
                case "--clients": clients = Int(1); break;
                case "--seed": seed = Int(0); break;
                case "--images": images = Int(1); break;
                case "--warmup": warmup = Int(0); break;
                case "--seconds":
                    {
                        string v = Value();
                        seconds = double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s > 0 && double.IsFinite(s)
                            ? s : throw new FormatException($"--seconds must be a positive number; got '{v}'");
                        break;
                    }

                case "--json": json = Value(); break;
                case "--cli": cli = Value(); break;
                case "--data": data = Value(); break;
                case "--fashion": fashion = Value() is "none" ? null : args[i]; break;
                default: throw new FormatException($"unknown option '{name}'");
            }
        }

        if (!File.Exists(cli))
        {
            throw new FormatException($"--cli {cli} does not exist (build it: dotnet build DeepScratch.slnx -c Release)");
        }

        if (!Directory.Exists(Path.Combine(data, "weights")) || !Directory.Exists(Path.Combine(data, "mnist")))
        {
            throw new FormatException($"--data {data} has no weights/ and mnist/ folders");
        }

        if (fashion is not null && !File.Exists(Path.Combine(fashion, "t10k-images-idx3-ubyte.gz")))
        {
            throw new FormatException($"--fashion {fashion} has no t10k-images-idx3-ubyte.gz (give --fashion none to serve no Fashion-MNIST network)");
        }

        return (new LoadOptions
        {
            CliPath = Path.GetFullPath(cli),
            DataDir = Path.GetFullPath(data),
            FashionDir = fashion is null ? null : Path.GetFullPath(fashion),
            Requests = requests,
            Clients = clients,
            Seconds = seconds,
            Seed = seed,
            ImagesPerModel = images,
            WarmupRequests = warmup,
            Log = Console.Error,
        }, json);
    }

    /// <summary>The figures as one table, then the checks.</summary>
    public static void Print(LoadReport report, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(output);
        var inv = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(inv, $"load: {report.Requests} requests, {report.Clients} clients, {report.Seconds:0.0} s, {report.Throughput:0.0} requests/s; networks {string.Join(", ", report.Models)}"));
        output.WriteLine($"{"kind",-18} {"count",6} {"p50 ms",8} {"p99 ms",8}  statuses");
        foreach (var k in report.Kinds)
        {
            output.WriteLine(string.Create(inv, $"{k.Kind,-18} {k.Count,6} {k.P50Ms,8:0.0} {k.P99Ms,8:0.0}  {Statuses(k.Statuses)}"));
        }

        output.WriteLine($"{"all",-18} {report.Requests,6} {"",8} {"",8}  {Statuses(report.Statuses)}");
        output.WriteLine(string.Create(inv, $"5xx: {report.ServerErrors}; valid predictions equal to the CLI's: {report.CheckedPredictions}, wrong or failed: {report.WrongPredictions}; malformed answered otherwise than documented: {report.UnexpectedAnswers}"));
        foreach (var e in report.EarlyRefusals)
        {
            output.WriteLine(string.Create(inv, $"100 MB body ({e.Body}): status {e.Answer.Status} after {e.Answer.BodyBytesSent} bytes sent ({e.Answer.BodyBytesSent * 100.0 / 100_000_000:0.000}% of it; the server must read {e.MustRead})"));
        }

        output.WriteLine(string.Create(inv, $"server RSS (MiB): {report.RssMiB.Start:0.0} after warm-up (warm-up peak {report.RssMiB.WarmupPeak:0.0}), max {report.RssMiB.Max:0.0}, end {report.RssMiB.End:0.0}; last half vs first: floor {report.FloorGrowthMiB:+0.0;-0.0}, peak {report.PeakGrowthMiB:+0.0;-0.0}"));
        output.WriteLine($"  floor/peak per sixteenth of the run: {string.Join(" ", report.RssWindows.Select(w => string.Create(inv, $"{w.Floor:0}/{w.Peak:0}")))}");
        output.WriteLine($"serve after SIGTERM: exit {report.Shutdown.Exit}, stderr {(report.Shutdown.Stderr.Length == 0 ? "empty" : report.Shutdown.Stderr.Trim())}");
        output.WriteLine(report.Passed ? "PASS: every check held" : $"FAIL:\n  {string.Join("\n  ", report.Failures)}");
    }

    private static string Statuses(IReadOnlyDictionary<int, int> statuses) =>
        string.Join(" ", statuses.OrderBy(s => s.Key).Select(s => $"{(s.Key == 0 ? "none" : s.Key.ToString(CultureInfo.InvariantCulture))}:{s.Value}"));

    private static object ToJson(LoadReport r) => new Dictionary<string, object>
    {
        ["models"] = r.Models,
        ["requests"] = r.Requests,
        ["clients"] = r.Clients,
        ["seconds"] = r.Seconds,
        ["throughput"] = r.Throughput,
        ["kinds"] = r.Kinds.Select(k => new Dictionary<string, object>
        {
            ["kind"] = k.Kind, ["count"] = k.Count, ["p50_ms"] = k.P50Ms, ["p99_ms"] = k.P99Ms,
            ["statuses"] = k.Statuses.ToDictionary(s => s.Key.ToString(CultureInfo.InvariantCulture), s => s.Value),
        }).ToList(),
        ["statuses"] = r.Statuses.ToDictionary(s => s.Key.ToString(CultureInfo.InvariantCulture), s => s.Value),
        ["server_errors_5xx"] = r.ServerErrors,
        ["checked_predictions"] = r.CheckedPredictions,
        ["wrong_predictions"] = r.WrongPredictions,
        ["unexpected_answers"] = r.UnexpectedAnswers,
        ["early_413"] = r.EarlyRefusals.Select(e => new Dictionary<string, object> { ["body"] = e.Body, ["status"] = e.Answer.Status, ["bytes_sent"] = e.Answer.BodyBytesSent, ["must_read"] = e.MustRead }).ToList(),
        ["rss_series_s_mib"] = r.RssSeries.Select(x => new[] { Math.Round(x.Seconds, 2), Math.Round(x.MiB, 1) }).ToList(),
        ["rss_mib_start"] = r.RssMiB.Start,
        ["rss_mib_warmup_peak"] = r.RssMiB.WarmupPeak,
        ["rss_mib_max"] = r.RssMiB.Max,
        ["rss_mib_end"] = r.RssMiB.End,
        ["rss_mib_window_floor_peak"] = r.RssWindows.Select(w => new[] { Math.Round(w.Floor, 1), Math.Round(w.Peak, 1) }).ToList(),
        ["rss_floor_growth_mib"] = r.FloorGrowthMiB,
        ["rss_peak_growth_mib"] = r.PeakGrowthMiB,
        ["shutdown_exit"] = r.Shutdown.Exit,
        ["failures"] = r.Failures,
        ["passed"] = r.Passed,
    };
}
