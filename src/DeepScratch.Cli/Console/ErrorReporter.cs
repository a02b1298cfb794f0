using DeepScratch.Data;

namespace DeepScratch.Cli.Console;

/// <summary>
/// Turns exceptions into one readable line on stderr and an exit code, so a user mistake never shows a stack trace.
/// Set DEEPSCRATCH_DEBUG=1 to see the full exception.
/// </summary>
internal static class ErrorReporter
{
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
        Print(ExitCodes.ErrorLine("deepscratch", e.Message, code, e), e);
        return code;
    }

    /// <summary>Prints "deepscratch: error: MESSAGE" on stderr, as one line with control characters escaped.</summary>
    public static void Write(string message, Exception? exception = null) =>
        Print(ExitCodes.ErrorLine("deepscratch", message), exception);

    private static void Print(string line, Exception? exception)
    {
        System.Console.Error.WriteLine(line);
        if (exception is not null && Environment.GetEnvironmentVariable("DEEPSCRATCH_DEBUG") is "1")
        {
            System.Console.Error.WriteLine(exception.ToString());
        }
    }

    /// <summary>
    /// User mistakes (<see cref="UserError"/>, exit 2) are the CLI's own; everything else is classified by the library's
    /// <see cref="ExitCodes.For"/> (diverged 4, bad or missing files 3, anything else, an ArgumentException from the
    /// library included, means DeepScratch itself misused an API: internal, 70).
    /// </summary>
    private static int Classify(Exception e) => e is UserError ? ExitCodes.Usage : ExitCodes.For(e);
}
