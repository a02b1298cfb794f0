using System.Globalization;
using System.Text.Json;

namespace DeepScratch.Hardening.Fuzz;

/// <summary>
/// The command line of the fuzz harness:
/// <c>fuzz [--format NAME[,NAME...]|all] [--count N] [--seconds S] [--seed N] [--max-ratio X] [--out DIR] [--json FILE] [--data DIR] [--replay FILE --format NAME] [--index N --format NAME]</c>.
/// Exit 0 when no input gave an internal error or a hang and no format's worst memory ratio exceeded --max-ratio (24), 1 otherwise, 2 on a bad argument.
/// </summary>
public static class FuzzCommand
{
    /// <summary>The one line in the harness list.</summary>
    public const string Summary = "mutated real files through every reader: internal errors, hangs, worst memory ratio";

    /// <summary>Runs the command; returns the exit code.</summary>
    public static int Run(string[] args)
    {
        string format = "all", outDir = Path.Combine(Path.GetTempPath(), "deepscratch-fuzz-" + Environment.ProcessId);
        int? only = null;
        string[]? formats = null;
        string? json = null, replay = null, data = Environment.GetEnvironmentVariable("DEEPSCRATCH_DATA");
        int seed = 1, count = 1000;
        double seconds = 0, maxRatio = FuzzOptions.DefaultMaxMemoryRatio;
        try
        {
            for (int i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--format": format = Value(); break;
                    case "--count": count = Positive(args[i], Value()); break;
                    case "--seconds": seconds = PositiveDouble(args[i], Value()); break;
                    case "--seed": seed = int.TryParse(Value(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int s) ? s : throw new ArgumentException($"--seed needs an integer, not '{args[i]}'"); break;
                    case "--max-ratio": maxRatio = PositiveDouble(args[i], Value()); break;
                    case "--out": outDir = Value(); break;
                    case "--json": json = Value(); break;
                    case "--data": data = Value(); break;
                    case "--replay": replay = Value(); break;
                    case "--index": only = int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : throw new ArgumentException($"--index needs a non-negative integer, not '{args[i]}'"); break;
                    default: throw new ArgumentException($"unknown option '{args[i]}' (options: --format --count --seconds --seed --max-ratio --out --json --data --replay --index)");
                }
            }

            formats = format == "all" ? null : format.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (formats?.FirstOrDefault(f => !LibraryTargets.Names.Contains(f)) is { } unknown || formats is [])
            {
                throw new ArgumentException($"unknown format '{format}': use all or one or more (comma-separated) of {string.Join(", ", LibraryTargets.Names)}");
            }

            if ((replay is not null || only is not null) && formats is not [_])
            {
                throw new ArgumentException("--replay and --index need --format NAME (the format the input was fuzzed as)");
            }

            if (replay is not null && !File.Exists(replay))
            {
                throw new ArgumentException($"--replay: no such file {replay}");
            }

            if (string.IsNullOrEmpty(data) || !Directory.Exists(data))
            {
                throw new ArgumentException("the data folder (mnist/, weights/) is needed for the seeds: give --data DIR or set DEEPSCRATCH_DATA");
            }
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"fuzz: {e.Message}");
            return 2;
        }

        string work = Path.Combine(Path.GetTempPath(), $"deepscratch-fuzz-work-{Environment.ProcessId}");
        try
        {
            var targets = LibraryTargets.Create(data, Path.Combine(work, "seeds"), formats);
            var engine = new FuzzEngine(targets, Path.Combine(work, "inputs"));
            if (only is { } index)
            {
                // Regenerates input (seed, format, index) and saves it, to replay or inspect.
                Directory.CreateDirectory(outDir);
                replay = Path.Combine(outDir, $"{format}-seed{seed}-{index}{targets[0].Extension}");
                File.WriteAllBytes(replay, FuzzEngine.Input(targets[0], seed, index));
            }

            if (replay is not null)
            {
                var outcome = engine.RunOne(targets[0], File.ReadAllBytes(replay), TimeSpan.FromSeconds(10));
                Console.WriteLine($"allocated {outcome.Allocated} bytes for {new FileInfo(replay).Length} input bytes, output {outcome.OutputBytes} bytes");
                Console.WriteLine($"{format} {replay}: {outcome.Verdict}{(outcome.Detail.Length > 0 ? ": " + outcome.Detail : "")}");
                return outcome.Verdict is FuzzVerdict.InternalError or FuzzVerdict.Hang ? 1 : 0;
            }

            Console.WriteLine($"fuzz: seed {seed}, {(seconds > 0 ? $"up to {count} inputs or {seconds} s" : $"{count} inputs")} per format, failing inputs saved to {outDir}");
            Console.WriteLine(LibraryTargets.OnnxNote);
            var options = new FuzzOptions { Seed = seed, Count = count, Seconds = seconds, OutDirectory = outDir, MaxMemoryRatio = maxRatio, Progress = Console.WriteLine };
            var report = engine.Run(options, [LibraryTargets.OnnxNote]);
            Console.WriteLine();
            Console.Write(Table(report));
            if (json is not null)
            {
                File.WriteAllText(json, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
            }

            return report.Clean ? 0 : 1;
        }
        finally
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
                // A reader thread abandoned after a hang may still hold its input open.
            }
        }
    }

    /// <summary>The figures as a table: one row per format, then the failures and the memory measure's definition.</summary>
    public static string Table(FuzzReport report)
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine($"{"format",-12} {"inputs",8} {"accepted",9} {"refused",8} {"internal",9} {"hangs",6} {"worst mem ratio",16} {"inputs/s",9}");
        foreach (var f in report.Formats)
        {
            text.AppendLine($"{f.Format,-12} {f.Inputs,8} {f.Accepted,9} {f.Refused,8} {f.InternalErrors,9} {f.Hangs,6} {f.WorstMemoryRatio,16:F2} {f.InputsPerSecond,9:F0}");
        }

        text.AppendLine($"memory ratio = bytes allocated on the reading thread (an upper bound of peak managed memory) / (input bytes + output bytes + {report.FloorBytes / 1024} KiB),");
        text.AppendLine("  output = the arrays returned, or what the input honestly requests when more (an IDX file's decompressed bytes, an image's declared raster); each input limited to " + $"{report.TimeoutSeconds:F0} s");
        foreach (var f in report.Formats.Where(f => f.WorstMemoryIndex >= 0))
        {
            text.AppendLine($"  {f.Format}: worst ratio at input {f.WorstMemoryIndex} ({f.WorstMemoryAllocated} bytes allocated for {f.WorstMemoryInputBytes} input bytes)");
        }

        foreach (var f in report.Formats.Where(f => f.WorstMemoryRatio > report.MaxMemoryRatio))
        {
            text.AppendLine($"{f.Format}: worst memory ratio {f.WorstMemoryRatio:F2} is above the bound {report.MaxMemoryRatio:F2} (--max-ratio)");
        }

        foreach (var note in report.Notes)
        {
            text.AppendLine(note);
        }

        foreach (var f in report.Formats)
        {
            foreach (var failure in f.Failures.Take(20))
            {
                text.AppendLine($"{f.Format} input {failure.Index}: {failure.Kind}: {failure.Detail} (saved as {failure.SavedAs}; replay with --replay FILE --format {f.Format})");
            }
        }

        return text.ToString();
    }

    private static int Positive(string option, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : throw new ArgumentException($"{option} needs a positive integer, not '{value}'");

    private static double PositiveDouble(string option, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) && x > 0 && double.IsFinite(x) ? x : throw new ArgumentException($"{option} needs a positive number of seconds, not '{value}'");
}
