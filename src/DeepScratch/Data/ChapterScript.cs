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
    /// <summary>
    /// Parses <paramref name="args"/> and makes a failure of the script print one line on stderr and exit non-zero
    /// instead of a stack trace: a mistyped option exits <see cref="ExitCodes.Usage"/> here; later, a missing or
    /// malformed data or weights file exits <see cref="ExitCodes.Data"/>, a diverged training run
    /// <see cref="ExitCodes.Diverged"/>, anything else <see cref="ExitCodes.Internal"/> (the classification of
    /// <see cref="ExitCodes.For"/>; set <c>DEEPSCRATCH_DEBUG=1</c> for the trace).
    /// Meant for top-level scripts: it may end the process.
    /// </summary>
    public static ChapterScript Start(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        AppDomain.CurrentDomain.UnhandledException += (_, e) => Fail(e.ExceptionObject as Exception);
        var (parsed, error) = Parse(args);
        if (parsed is null)
        {
            Console.Error.WriteLine(ExitCodes.ErrorLine(AppDomain.CurrentDomain.FriendlyName, error!, ExitCodes.Usage));
            Environment.Exit(ExitCodes.Usage);
        }

        return new ChapterScript(parsed.Value.Dataset, parsed.Value.Quick, DataStore.Resolve(parsed.Value.Data));
    }

    /// <summary>
    /// The options in <paramref name="args"/>, or the one-line usage mistake (no process exit, no data folder touched:
    /// what <see cref="Start"/> acts on). The dataset names in the messages come from <see cref="DatasetKind"/>.
    /// </summary>
    internal static ((DatasetKind Dataset, bool Quick, string? Data)? Options, string? Error) Parse(string[] args)
    {
        var kinds = Enum.GetValues<DatasetKind>().Select(Catalog.FolderName).ToArray();
        string choices = string.Join(" or ", kinds);
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
                case "--dataset" or "--data" when i + 1 == args.Length:
                    return (null, args[i] == "--dataset"
                        ? $"--dataset needs a value ({choices})"
                        : "--data needs a value (the data folder)");
                case "--dataset":
                    var kind = Catalog.ParseName(args[++i]);
                    if (kind is null)
                    {
                        return (null, $"unknown dataset '{args[i]}' (expected {choices})");
                    }

                    dataset = kind.Value;
                    break;
                case "--data":
                    data = args[++i];
                    break;
                default:
                    return (null, $"unknown argument '{args[i]}' (expected --dataset {string.Join("|", kinds)}, --quick, --data DIR)");
            }
        }

        return ((dataset, quick, data), null);
    }

    /// <summary>The full value, or the quick one under <c>--quick</c> (iterations, image counts, epochs).</summary>
    public int Pick(int full, int quick) => Quick ? quick : full;

    private static void Fail(Exception? e)
    {
        int code = e is null ? ExitCodes.Internal : ExitCodes.For(e);
        Console.Error.WriteLine(ExitCodes.ErrorLine(AppDomain.CurrentDomain.FriendlyName, e is null ? "unknown failure" : ErrorText.Plain(e), code, e));
        if (Environment.GetEnvironmentVariable("DEEPSCRATCH_DEBUG") is "1")
        {
            Console.Error.WriteLine(e);
        }
        Environment.Exit(code);
    }
}
