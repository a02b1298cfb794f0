namespace DeepScratch.Hardening.Fuzz;

/// <summary>
/// The command line of the fuzz harness:
/// <c>fuzz [--format NAME[,NAME...]|all] [--count N] [--seconds S] [--seed N] [--max-ratio X] [--out DIR] [--json FILE] [--data DIR] [--replay FILE --format NAME] [--index N --format NAME]</c>.
/// Exit 0 when no input gave an internal error or a hang and no format's worst memory ratio exceeded --max-ratio (24), 1 otherwise, 2 on a bad argument, 3 when the data folder or the replayed file is missing.
/// </summary>
public static class FuzzCommand
{
    /// <summary>The one line in the harness list.</summary>
    public const string Summary = "mutated real files through every reader: internal errors, hangs, worst memory ratio";

    /// <summary>Runs the command; returns the exit code.</summary>
    public static int Run(string[] args)
    {
        const string name = "fuzz";
        var parsed = HarnessArgs.Parse(name, args, "--format", "--count", "--seconds", "--seed", "--max-ratio", "--out", "--json", "--data", "--replay", "--index");
        if (parsed?.Seed is not { } seed || parsed.Integer("--count", 1000, 1) is not { } count || parsed.Number("--seconds", 0, 0) is not { } seconds
            || parsed.Number("--max-ratio", FuzzOptions.DefaultMaxMemoryRatio, 1) is not { } maxRatio || parsed.Integer("--index", -1, 0) is not { } indexGiven)
        {
            return Program.UsageMistake;
        }

        string format = parsed.Text("--format") ?? "all", data = parsed.Data;
        string outDir = parsed.Text("--out") ?? Path.Combine(Path.GetTempPath(), "deepscratch-fuzz-" + Environment.ProcessId);
        string? json = parsed.Json, replay = parsed.Text("--replay");
        int? only = indexGiven >= 0 ? indexGiven : null;
        string[]? formats = format == "all" ? null : format.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (formats?.FirstOrDefault(f => !LibraryTargets.Names.Contains(f)) is not null || formats is [])
        {
            parsed.Mistake<string>($"unknown format '{format}': use all or one or more (comma-separated) of {string.Join(", ", LibraryTargets.Names)}");
            return Program.UsageMistake;
        }

        if ((replay is not null || only is not null) && formats is not [_])
        {
            parsed.Mistake<string>("--replay and --index need --format NAME (the format the input was fuzzed as)");
            return Program.UsageMistake;
        }

        // A missing input or data folder is a setup failure: Program.Main reports it in one line, exit 3.
        if (replay is not null && !File.Exists(replay))
        {
            throw new FileNotFoundException($"--replay: no such file {replay}");
        }

        if (!Directory.Exists(data))
        {
            throw new DirectoryNotFoundException($"--data {data}: no such folder (the seeds come from its mnist/ and weights/; give --data DIR or set DEEPSCRATCH_DATA)");
        }

        // A reader thread abandoned after a hang may still hold its input open: the folder's removal is best effort.
        var scratch = new ScratchFolder("fuzz-work");
        string work = scratch.Path;
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
                return HarnessOutput.Finish(Console.Out, null, outcome, outcome.Verdict is FuzzVerdict.InternalError or FuzzVerdict.Hang ? [$"{format}: {outcome.Verdict}"] : []);
            }

            Console.WriteLine($"fuzz: seed {seed}, {(seconds > 0 ? $"up to {count} inputs or {seconds} s" : $"{count} inputs")} per format, failing inputs saved to {outDir}");
            Console.WriteLine(LibraryTargets.OnnxNote);
            var options = new FuzzOptions { Seed = seed, Count = count, Seconds = seconds, OutDirectory = outDir, MaxMemoryRatio = maxRatio, Progress = Console.WriteLine };
            var report = engine.Run(options, [LibraryTargets.OnnxNote]);
            Console.WriteLine();
            Console.Write(Table(report));
            return HarnessOutput.Finish(Console.Out, json, report, FailedChecks(report));
        }
        finally
        {
            scratch.Dispose();
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

    /// <summary>One line per failed check: a format with no input tried, with internal errors, with hangs, or above the memory bound.</summary>
    public static IReadOnlyList<string> FailedChecks(FuzzReport report) => report.Formats.SelectMany(f => new[]
    {
        // A --seconds limit that left a format untried proves nothing about its reader: INCOMPLETE, not a PASS.
        f.Inputs == 0 ? $"INCOMPLETE: {f.Format}: no input tried within the time limit (raise --seconds)" : null,
        f.InternalErrors > 0 ? $"{f.Format}: {f.InternalErrors} internal errors" : null,
        f.Hangs > 0 ? $"{f.Format}: {f.Hangs} hangs" : null,
        f.WorstMemoryRatio > report.MaxMemoryRatio ? $"{f.Format}: worst memory ratio {f.WorstMemoryRatio:F2} above the bound {report.MaxMemoryRatio:F2} (--max-ratio)" : null,
    }).OfType<string>().ToList();
}
