using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DeepScratch.Hardening.Faults;

/// <summary>The command-line fronts of the <c>faults</c> and <c>kill</c> harnesses: options in, one table (and JSON) out.</summary>
internal static class FaultsCommands
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Converters = { new JsonStringEnumConverter() } };

    /// <summary><c>faults [--seed N] [--count ROUNDS] [--seconds S] [--idle S] [--json FILE]</c>; exit 0 when every figure is clean, 1 when not, 2 on a bad argument.</summary>
    public static int Downloads(string[] args)
    {
        const string name = "faults";
        var parsed = HarnessArgs.Parse(name, args, "--seed", "--count", "--seconds", "--idle", "--json");
        if (parsed?.Integer(name, "--seed", 1, int.MinValue) is not { } seed || parsed.Integer(name, "--count", 20, 1) is not { } rounds
            || parsed.Number(name, "--seconds", 0, 0) is not { } seconds || parsed.Number(name, "--idle", 1, 0.05) is not { } idle)
        {
            return 2;
        }

        var report = DownloadFaults.Run(new DownloadFaultsOptions(seed, rounds, seconds, idle), line => Console.Error.WriteLine($"problem: {line}"));
        Console.WriteLine($"download faults: seed {seed}, {report.Faults.Sum(f => f.Attempts)} downloads in {report.Seconds:0.0} s (idle timeout {idle} s)");
        Console.WriteLine($"{"fault",-18} {"attempts",8} {"fallbacks ok",12} {"diagnosed",9} {"partial left",12} {"wrong kept",10} {"unexpected",10} {"seconds",7}");
        foreach (var f in report.Faults)
        {
            Console.WriteLine($"{f.Fault,-18} {f.Attempts,8} {f.FallbacksSucceeded,12} {f.Diagnosed,9} {f.PartialFilesLeft,12} {f.WrongFilesAccepted,10} {f.Unexpected,10} {f.Seconds,7:0.0}");
        }

        return Finish(parsed.Text("--json"), report, report.Passed);
    }

    /// <summary><c>kill [--cli PATH] [--weights PKL] [--seed N] [--count KILLS] [--seconds S] [--json FILE]</c>.</summary>
    public static int Kills(string[] args)
    {
        const string name = "kill";
        var parsed = HarnessArgs.Parse(name, args, "--cli", "--weights", "--seed", "--count", "--seconds", "--json");
        if (parsed?.Integer(name, "--seed", 1, int.MinValue) is not { } seed || parsed.Integer(name, "--count", 100, 1) is not { } kills
            || parsed.Number(name, "--seconds", 0, 0) is not { } seconds)
        {
            return 2;
        }

        string cli = parsed.Text("--cli") ?? Cli.DefaultPath;
        string weights = parsed.Text("--weights")
            ?? Path.Combine(Environment.GetEnvironmentVariable("DEEPSCRATCH_DATA") ?? ".", "weights", "sample_weight.pkl");
        foreach (var (option, path) in new[] { ("--cli", cli), ("--weights", weights) })
        {
            if (!File.Exists(path))
            {
                Console.Error.WriteLine($"hardening {name}: {option} {path} does not exist (build the CLI with -c Release; set DEEPSCRATCH_DATA or give --weights)");
                return 2;
            }
        }

        // An unkilled run that fails throws HarnessSetupException: Program.Main reports it (exit 3).
        var report = KilledSaves.Run(new KilledSavesOptions(cli, weights, seed, kills, seconds), line => Console.Error.WriteLine($"problem: {line}"));

        Console.WriteLine($"killed saves: seed {seed}, {report.Commands.Sum(c => c.Kills)} SIGKILLs in {report.Seconds:0.0} s");
        Console.WriteLine($"{"command",-8} {"run s",6} {"kills",6} {"finished",8} {"absent",6} {"old",5} {"new",5} {"corrupt",7} {"max tmp",7} {"tmp after",9}");
        foreach (var c in report.Commands)
        {
            Console.WriteLine($"{c.Command.Split(' ')[0],-8} {c.RunSeconds,6:0.00} {c.Kills,6} {c.FinishedFirst,8} {c.Absent,6} {c.Old,5} {c.New,5} {c.Corrupt,7} {c.MaxTemporaries,7} {c.TemporariesAfterCleanRun,9}");
        }

        return Finish(parsed.Text("--json"), report, report.Passed);
    }

    private static int Finish<T>(string? json, T report, bool passed)
    {
        if (json is not null)
        {
            File.WriteAllText(json, JsonSerializer.Serialize(report, Json));
        }

        Console.WriteLine(passed ? "result: PASS" : "result: FAIL");
        return passed ? 0 : 1;
    }
}
