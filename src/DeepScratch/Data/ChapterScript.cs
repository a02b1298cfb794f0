namespace DeepScratch.Data;

/// <summary>
/// What the chapter scripts in <c>examples/chNN</c> take from their command line, parsed in one place:
/// <c>--dataset mnist|fashion-mnist</c> (default MNIST, as in the book; Fashion-MNIST where the MNIST training set
/// cannot be downloaded), <c>--quick</c> (a short run: few iterations, few images — what CI runs) and
/// <c>--data DIR</c> (the data folder, as for <c>deepscratch</c>; else <c>DEEPSCRATCH_DATA</c>, else the cache).
/// Start a script with <c>var run = ChapterScript.Start(args);</c>.
/// </summary>
/// <param name="Dataset">The dataset the script trains or evaluates on.</param>
/// <param name="Quick">True for a short run (CI); a script scales its iterations and sample sizes down.</param>
/// <param name="Store">The data folder (files are downloaded into it when missing, as for the CLI).</param>
public sealed record ChapterScript(DatasetKind Dataset, bool Quick, DataStore Store)
{
    /// <summary>Exit code for a mistake on the script's command line (as <c>deepscratch</c>'s usage errors).</summary>
    public const int UsageExit = 2;

    /// <summary>Exit code for missing or malformed data or weights (as <c>deepscratch</c>'s).</summary>
    public const int DataExit = 3;

    /// <summary>
    /// Parses <paramref name="args"/> and makes a failure of the script print one line on stderr and exit non-zero
    /// instead of a stack trace: a mistyped option exits <see cref="UsageExit"/> here; a missing or malformed data or
    /// weights file later exits <see cref="DataExit"/>, anything else 70 (set <c>DEEPSCRATCH_DEBUG=1</c> for the trace).
    /// Meant for top-level scripts: it may end the process.
    /// </summary>
    public static ChapterScript Start(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        AppDomain.CurrentDomain.UnhandledException += (_, e) => Fail(e.ExceptionObject as Exception);
        var dataset = DatasetKind.Mnist;
        bool quick = false;
        string? data = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--dataset" when i + 1 < args.Length:
                    dataset = Catalog.ParseName(args[++i])
                        ?? Usage($"unknown dataset '{args[i]}' (expected {string.Join(" or ", Enum.GetValues<DatasetKind>().Select(Catalog.FolderName))})");
                    break;
                case "--data" when i + 1 < args.Length:
                    data = args[++i];
                    break;
                default:
                    Usage($"unknown argument '{args[i]}' (expected --dataset mnist|fashion-mnist, --quick, --data DIR)");
                    break;
            }
        }
        return new ChapterScript(dataset, quick, DataStore.Resolve(data));
    }

    /// <summary>The full value, or the quick one under <c>--quick</c> (iterations, image counts, epochs).</summary>
    public int Pick(int full, int quick) => Quick ? quick : full;

    private static DatasetKind Usage(string message)
    {
        Console.Error.WriteLine($"{AppDomain.CurrentDomain.FriendlyName}: error: {message}");
        Environment.Exit(UsageExit);
        return default;
    }

    private static void Fail(Exception? e)
    {
        int code = e is DataUnavailableException or InvalidDataException or FileNotFoundException
            or DirectoryNotFoundException or UnauthorizedAccessException or IOException ? DataExit : 70;
        Console.Error.WriteLine($"{AppDomain.CurrentDomain.FriendlyName}: error: {(e is null ? "unknown failure" : ErrorText.Plain(e).ReplaceLineEndings(" "))}");
        if (Environment.GetEnvironmentVariable("DEEPSCRATCH_DEBUG") is "1")
        {
            Console.Error.WriteLine(e);
        }
        Environment.Exit(code);
    }
}
