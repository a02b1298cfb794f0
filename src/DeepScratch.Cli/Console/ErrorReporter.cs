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
    public const int InternalExit = 70;

    /// <summary>Runs a command body, mapping failures to exit codes.</summary>
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (Classify(e) is var code && code != InternalExit)
        {
            Write(e.Message);
            return code;
        }
        catch (Exception e)
        {
            Write($"internal error ({e.GetType().Name}): {e.Message}. Please report it; set DEEPSCRATCH_DEBUG=1 for details.");
            return InternalExit;
        }
    }

    /// <summary>Prints "deepscratch: error: MESSAGE" on stderr, as one line.</summary>
    public static void Write(string message)
    {
        string oneLine = message.ReplaceLineEndings(" ").Trim();
        System.Console.Error.WriteLine($"deepscratch: error: {oneLine}");
        if (Environment.GetEnvironmentVariable("DEEPSCRATCH_DEBUG") is "1")
        {
            System.Console.Error.WriteLine(Environment.StackTrace);
        }
    }

    private static int Classify(Exception e) => e switch
    {
        UserError or ArgumentException => UsageExit,
        DataUnavailableException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException
            or UnauthorizedAccessException or IOException => DataExit,
        _ => InternalExit,
    };
}
