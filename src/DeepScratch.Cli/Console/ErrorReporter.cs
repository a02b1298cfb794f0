using DeepScratch.Data;

namespace DeepScratch.Cli.Console;

/// <summary>
/// Turns exceptions into one readable line on stderr and an exit code, so a user mistake never shows a stack trace.
/// Set DEEPSCRATCH_DEBUG=1 to see the full exception.
/// </summary>
internal static class ErrorReporter
{
    public const int UsageExit = 2;
    public const int DataExit = 3;
    public const int DivergedExit = 4;
    public const int InternalExit = 70;

    /// <summary>Runs a command body, mapping failures to exit codes.</summary>
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e)
        {
            return Report(e);
        }
    }

    /// <summary>Prints one line for <paramref name="e"/> (the full exception too under DEEPSCRATCH_DEBUG=1) and returns its exit code.</summary>
    public static int Report(Exception e)
    {
        int code = Classify(e);
        Write(code == InternalExit
            ? $"internal error ({e.GetType().Name}): {e.Message} Please report it; set DEEPSCRATCH_DEBUG=1 for details."
            : e.Message, e);
        return code;
    }

    /// <summary>Prints "deepscratch: error: MESSAGE" on stderr, as one line with control characters escaped.</summary>
    public static void Write(string message, Exception? exception = null)
    {
        // Last line of defence against terminal injection: a file-supplied name that reached a message unescaped
        // still cannot move the cursor, clear the screen or reverse the line.
        string oneLine = DeepScratch.Serialization.DisplayText.Escape(message.ReplaceLineEndings(" ").Trim());
        System.Console.Error.WriteLine($"deepscratch: error: {oneLine}");
        if (exception is not null && Environment.GetEnvironmentVariable("DEEPSCRATCH_DEBUG") is "1")
        {
            System.Console.Error.WriteLine(exception.ToString());
        }
    }

    /// <summary>
    /// User mistakes (exit 2) and bad or missing files (exit 3) are expected; anything else, an ArgumentException
    /// from the library included, means DeepScratch itself misused an API: an internal error.
    /// </summary>
    private static int Classify(Exception e) => e switch
    {
        UserError => UsageExit,
        DeepScratch.Training.TrainingDivergedException => DivergedExit,
        DataUnavailableException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException
            or UnauthorizedAccessException or IOException => DataExit,
        _ => InternalExit,
    };
}
