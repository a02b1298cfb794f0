using System.Globalization;

namespace DeepScratch.Hardening;

/// <summary>
/// The reliability harnesses behind the README's "Reliability" section, each seeded and bounded in count and time.
/// Usage: dotnet run --project bench/DeepScratch.Hardening -c Release -- HARNESS [options]  (no HARNESS: the list).
/// The test project runs the same harnesses in short versions (tests/DeepScratch.Tests/Hardening).
/// </summary>
public static class Program
{
    /// <summary>Every harness: its name on the command line, one line for the list, and its entry point.</summary>
    private static readonly (string Name, string Summary, Func<string[], int> Run)[] Harnesses =
    [
        ("fuzz", Fuzz.FuzzCommand.Summary, Fuzz.FuzzCommand.Run),
        ("pickles", Pickles.PicklesCommand.Summary, Pickles.PicklesCommand.Run),
        ("faults", "downloads from a loopback server that cuts, corrupts, stalls, redirects and resets", Faults.FaultsCommands.Downloads),
        ("kill", "SIGKILLs train --out, convert and export --onnx mid-run; checks every destination", Faults.FaultsCommands.Kills),
        ("load", Load.LoadCommand.Summary, Load.LoadCommand.Run),
    ];

    public static int Main(string[] args)
    {
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.WriteLine("usage: dotnet run --project bench/DeepScratch.Hardening -c Release -- HARNESS [options]");
            foreach (var (name, summary, _) in Harnesses)
            {
                Console.WriteLine($"  {name,-8} {summary}");
            }

            return args.Length == 0 ? 2 : 0;
        }

        foreach (var (name, _, run) in Harnesses)
        {
            if (name == args[0])
            {
                return run(args[1..]);
            }
        }

        Console.Error.WriteLine($"hardening: unknown harness '{args[0]}' (run without arguments for the list)");
        return 2;
    }
}
