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

    /// <summary>Runs the harness from the command line.</summary>
    public static int Run(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var parsed = HarnessArgs.Parse("load", args, "--requests", "--clients", "--seconds", "--seed", "--images", "--warmup", "--json", "--cli", "--data", "--fashion");
        if (parsed is null || Options(parsed) is not { } options)
        {
            return Program.UsageMistake;
        }

        // Setup failures (the CLI or the server not starting, a reference run failing) reach Program.Main: exit 3.
        var report = LoadHarness.Run(options).GetAwaiter().GetResult();
        Print(report, Console.Out);
        return HarnessOutput.Finish(Console.Out, parsed.Json, ToJson(report), report.Failures);
    }

    /// <summary>The options, null (reported) on a usage mistake.</summary>
    /// <exception cref="FileNotFoundException">The CLI is not built.</exception>
    /// <exception cref="DirectoryNotFoundException">The data or Fashion-MNIST folder lacks its files.</exception>
    private static LoadOptions? Options(HarnessArgs parsed)
    {
        if (parsed.Integer("--requests", 10_000, 1) is not { } requests || parsed.Integer("--clients", 16, 1) is not { } clients
            || parsed.Seed is not { } seed || parsed.Integer("--images", 30, 1) is not { } images || parsed.Integer("--warmup", 1000, 0) is not { } warmup
            || parsed.Number("--seconds", 900, 0.001) is not { } seconds)
        {
            return null;
        }

        string cli = parsed.Cli, data = parsed.Data;
        string? fashion = parsed.Text("--fashion") is { } given ? (given == "none" ? null : given) : DeepScratch.Data.Catalog.FashionSystemFolder;

        // Missing files and folders are setup failures: Program.Main reports them in one line, exit 3.
        if (!File.Exists(cli))
        {
            throw new FileNotFoundException($"--cli {cli} does not exist (build it: dotnet build DeepScratch.slnx -c Release)");
        }

        if (!Directory.Exists(Path.Combine(data, "weights")) || !Directory.Exists(Path.Combine(data, "mnist")))
        {
            throw new DirectoryNotFoundException($"--data {data} has no weights/ and mnist/ folders");
        }

        // The Fashion-MNIST network is trained (train-*) and checked (t10k-*) on the folder's four files.
        string[] fashionFiles = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"];
        if (fashion is not null && fashionFiles.FirstOrDefault(f => !File.Exists(Path.Combine(fashion, f))) is { } absent)
        {
            throw new DirectoryNotFoundException(fashion == DeepScratch.Data.Catalog.FashionSystemFolder
                ? $"Fashion-MNIST is missing from {fashion}: apt-get install dataset-fashion-mnist (or give --fashion none to serve no Fashion-MNIST network)"
                : $"--fashion {fashion} has no {absent} (give --fashion none to serve no Fashion-MNIST network)");
        }

        return new LoadOptions
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
        };
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
            ["kind"] = k.Kind, ["count"] = k.Count, ["p50Ms"] = k.P50Ms, ["p99Ms"] = k.P99Ms,
            ["statuses"] = k.Statuses.ToDictionary(s => s.Key.ToString(CultureInfo.InvariantCulture), s => s.Value),
        }).ToList(),
        ["statuses"] = r.Statuses.ToDictionary(s => s.Key.ToString(CultureInfo.InvariantCulture), s => s.Value),
        ["serverErrors5xx"] = r.ServerErrors,
        ["checkedPredictions"] = r.CheckedPredictions,
        ["wrongPredictions"] = r.WrongPredictions,
        ["unexpectedAnswers"] = r.UnexpectedAnswers,
        ["early413"] = r.EarlyRefusals.Select(e => new Dictionary<string, object> { ["body"] = e.Body, ["status"] = e.Answer.Status, ["bytesSent"] = e.Answer.BodyBytesSent, ["mustRead"] = e.MustRead }).ToList(),
        ["rssSeriesSMib"] = r.RssSeries.Select(x => new[] { Math.Round(x.Seconds, 2), Math.Round(x.MiB, 1) }).ToList(),
        ["rssMibStart"] = r.RssMiB.Start,
        ["rssMibWarmupPeak"] = r.RssMiB.WarmupPeak,
        ["rssMibMax"] = r.RssMiB.Max,
        ["rssMibEnd"] = r.RssMiB.End,
        ["rssMibWindowFloorPeak"] = r.RssWindows.Select(w => new[] { Math.Round(w.Floor, 1), Math.Round(w.Peak, 1) }).ToList(),
        ["rssFloorGrowthMib"] = r.FloorGrowthMiB,
        ["rssPeakGrowthMib"] = r.PeakGrowthMiB,
        ["shutdownExit"] = r.Shutdown.Exit,
        ["failures"] = r.Failures,
        ["passed"] = r.Passed,
    };
}
