namespace DeepScratch.Hardening.Faults;

/// <summary>The command-line fronts of the <c>faults</c> and <c>kill</c> harnesses: options in, one table (and JSON) out.</summary>
internal static class FaultsCommands
{
    /// <summary><c>faults [--seed N] [--count ROUNDS] [--seconds S] [--idle S] [--json FILE]</c>; exit 0 when every figure is clean, 1 when not, 2 on a bad argument.</summary>
    public static int Downloads(string[] args)
    {
        const string name = "faults";
        var parsed = HarnessArgs.Parse(name, args, "--seed", "--count", "--seconds", "--idle", "--json");
        if (parsed?.Seed is not { } seed || parsed.Integer("--count", 20, 1) is not { } rounds
            || parsed.Number("--seconds", 0, 0) is not { } seconds || parsed.Number("--idle", 1, 0.05) is not { } idle)
        {
            return Program.UsageMistake;
        }

        var report = DownloadFaults.Run(new DownloadFaultsOptions(seed, rounds, seconds, idle), line => Console.Error.WriteLine($"problem: {line}"));
        Console.WriteLine($"download faults: seed {seed}, {report.Faults.Sum(f => f.Attempts)} downloads in {report.Seconds:0.0} s (idle timeout {idle} s for the stalls, {Math.Max(idle, new DownloadFaultsOptions().OtherIdleTimeoutSeconds)} s otherwise)");
        Console.WriteLine($"{"fault",-18} {"attempts",8} {"fallbacks ok",12} {"diagnosed",9} {"partial left",12} {"wrong kept",10} {"unexpected",10} {"seconds",7}");
        foreach (var f in report.Faults)
        {
            Console.WriteLine($"{f.Fault,-18} {f.Attempts,8} {f.FallbacksSucceeded,12} {f.Diagnosed,9} {f.PartialFilesLeft,12} {f.WrongFilesAccepted,10} {f.Unexpected,10} {f.Seconds,7:0.0}");
        }

        var failed = report.Faults.SelectMany(f => new[]
        {
            // A --seconds limit that left a fault untried proves nothing about it: INCOMPLETE, not a PASS.
            f.Attempts == 0 ? $"INCOMPLETE: {f.Fault}: no download tried within the time limit (raise --seconds)" : null,
            f.PartialFilesLeft > 0 ? $"{f.Fault}: {f.PartialFilesLeft} partial files left" : null,
            f.WrongFilesAccepted > 0 ? $"{f.Fault}: {f.WrongFilesAccepted} wrong files accepted" : null,
            f.Unexpected > 0 ? $"{f.Fault}: {f.Unexpected} unexpected outcomes" : null,
        }).OfType<string>().ToList();
        return HarnessOutput.Finish(Console.Out, parsed.Json, report, failed);
    }

    /// <summary><c>kill [--cli PATH] [--data DIR] [--weights PKL] [--seed N] [--count KILLS] [--seconds S] [--json FILE]</c>; exit 0 when every check held, 1 when not, 2 on a bad argument, 3 when an unkilled run fails.</summary>
    public static int Kills(string[] args)
    {
        const string name = "kill";
        var parsed = HarnessArgs.Parse(name, args, "--cli", "--data", "--weights", "--seed", "--count", "--seconds", "--json");
        if (parsed?.Seed is not { } seed || parsed.Integer("--count", 100, 1) is not { } kills
            || parsed.Number("--seconds", 0, 0) is not { } seconds)
        {
            return Program.UsageMistake;
        }

        string cli = parsed.Cli;
        string weights = parsed.Text("--weights") ?? Path.Combine(parsed.Data, "weights", "sample_weight.pkl");
        foreach (var (option, path) in new[] { ("--cli", cli), ("--weights", weights) })
        {
            if (!File.Exists(path))
            {
                // A missing file is a setup failure (exit 3 from Program.Main), not a usage mistake.
                throw new FileNotFoundException($"{option} {path} does not exist (build the CLI with -c Release; give --data DIR, set DEEPSCRATCH_DATA or give --weights)");
            }
        }

        // The train runs read Fashion-MNIST from the system folder (the CLI runs with no data folder): say so, not the CLI's long advice.
        string fashion = DeepScratch.Data.Catalog.FashionSystemFolder;
        if (new[] { "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz" }
            .Any(file => !File.Exists(Path.Combine(fashion, file))))
        {
            throw new DirectoryNotFoundException($"Fashion-MNIST is missing from {fashion} (the killed train runs use it): apt-get install dataset-fashion-mnist");
        }

        // An unkilled run that fails throws HarnessSetupException: Program.Main reports it (exit 3).
        var report = KilledSaves.Run(new KilledSavesOptions(cli, weights, seed, kills, seconds), line => Console.Error.WriteLine($"problem: {line}"));

        Console.WriteLine($"killed saves: seed {seed}, {report.Commands.Sum(c => c.Kills)} SIGKILLs in {report.Seconds:0.0} s");
        Console.WriteLine($"{"command",-8} {"run s",6} {"kills",6} {"finished",8} {"absent",6} {"old",5} {"new",5} {"corrupt",7} {"max tmp",7} {"tmp after",9}");
        foreach (var c in report.Commands)
        {
            Console.WriteLine($"{c.Command.Split(' ')[0],-8} {c.RunSeconds,6:0.00} {c.Kills,6} {c.FinishedFirst,8} {c.Absent,6} {c.Old,5} {c.New,5} {c.Corrupt,7} {c.MaxTemporaries,7} {c.TemporariesAfterCleanRun,9}");
        }

        var failed = report.Problems.Concat(report.Commands.SelectMany(c => new[]
        {
            c.Kills == 0 ? $"INCOMPLETE: {c.Command}: no run killed within the time limit (raise --seconds)" : null,
            c.Corrupt > 0 ? $"{c.Command}: {c.Corrupt} corrupt destinations" : null,
            c.MaxTemporaries > 1 ? $"{c.Command}: {c.MaxTemporaries} temporary files at once (at most 1)" : null,
            c.TemporariesAfterCleanRun > 0 ? $"{c.Command}: {c.TemporariesAfterCleanRun} temporary files after a clean run" : null,
            c.NotSigkilled > 0 ? $"{c.Command}: {c.NotSigkilled} runs not ended by SIGKILL" : null,
        }).OfType<string>()).ToList();
        return HarnessOutput.Finish(Console.Out, parsed.Json, report, failed);
    }
}
