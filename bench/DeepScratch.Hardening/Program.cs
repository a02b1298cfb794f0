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

    /// <summary>Exit code when every check held.</summary>
    public const int Passed = 0;

    /// <summary>Exit code when a check failed (the figures are printed above the last line).</summary>
    public const int ChecksFailed = 1;

    /// <summary>Exit code for a usage mistake (an unknown option or a bad value).</summary>
    public const int UsageMistake = 2;

    /// <summary>Exit code when the harness could not be set up: a missing file, folder or program, unreadable data, a setup timeout.</summary>
    public const int SetupFailed = 3;

    /// <summary>
    /// The expected setup failures: missing or unreadable files and folders, a program that cannot be started
    /// (<see cref="System.ComponentModel.Win32Exception"/>), a setup step cancelled by its time limit, a failed reference run (<see cref="HarnessSetupException"/>).
    /// </summary>
    public static bool IsSetupFailure(Exception e) => e is FileNotFoundException or DirectoryNotFoundException or IOException
        or InvalidDataException or OperationCanceledException or UnauthorizedAccessException or System.ComponentModel.Win32Exception
        or HarnessSetupException;

    /// <summary>Runs the harness named by the first argument; exit 0 pass, 1 failed checks, 2 usage mistake, 3 setup failure.</summary>
    public static int Main(string[] args)
    {
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        Cleanup.Install();
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.WriteLine("usage: dotnet run --project bench/DeepScratch.Hardening -c Release -- HARNESS [options]");
            Console.WriteLine("  shared options: --seed N --seconds S --json FILE --data DIR (default $DEEPSCRATCH_DATA, then ../shared/data) --cli PATH");
            Console.WriteLine("  exit: 0 PASS, 1 FAIL (failed checks), 2 usage mistake, 3 setup failure (missing file, folder or program)");
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
                try
                {
                    return run(args[1..]);
                }
                catch (Exception e) when (IsSetupFailure(e))
                {
                    // A missing file, folder or program, or a setup step that ran out of time: one line, not a stack trace.
                    Console.Error.WriteLine($"hardening {name}: error: {e.Message.ReplaceLineEndings(" ")}");
                    return SetupFailed;
                }
            }
        }

        Console.Error.WriteLine($"hardening: unknown harness '{args[0]}' (run without arguments for the list)");
        return 2;
    }
}
