using DeepScratch.Training;

namespace DeepScratch.Data;

/// <summary>
/// The process exit codes of everything built on DeepScratch (the <c>deepscratch</c> command and the chapter scripts)
/// and which failure gets which: one place, so a front end cannot forget a kind (a diverged run exiting 70, say).
/// A front end with its own usage-error type maps that to <see cref="Usage"/> first and defers to <see cref="For"/>.
/// </summary>
public static class ExitCodes
{
    /// <summary>2: a mistake on the command line (an unknown option, a missing or bad value).</summary>
    public const int Usage = 2;

    /// <summary>3: missing or malformed data or weights (a bad file never counts as an internal error).</summary>
    public const int Data = 3;

    /// <summary>4: training diverged (<see cref="TrainingDivergedException"/>); the network was not saved.</summary>
    public const int Diverged = 4;

    /// <summary>70 (BSD's EX_SOFTWARE): an internal error, a bug in DeepScratch itself.</summary>
    public const int Internal = 70;

    /// <summary>
    /// The exit code for <paramref name="exception"/>: <see cref="Diverged"/> for a diverged training run,
    /// <see cref="Data"/> for a missing, unreadable or malformed file (<see cref="DataUnavailableException"/>,
    /// <see cref="InvalidDataException"/>, <see cref="FileNotFoundException"/>, <see cref="DirectoryNotFoundException"/>,
    /// <see cref="UnauthorizedAccessException"/> or another <see cref="IOException"/>), else <see cref="Internal"/>
    /// (an <see cref="ArgumentException"/> from the library included: the caller misused an API). Never <see cref="Usage"/>:
    /// only a front end knows which of its exceptions are usage mistakes.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="exception"/> is null.</exception>
    public static int For(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            TrainingDivergedException => Diverged,
            DataUnavailableException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException
                or UnauthorizedAccessException or IOException => Data,
            _ => Internal,
        };
    }

    /// <summary>
    /// The one line a front end prints for a failure with exit <paramref name="code"/>: "PROGRAM: error: MESSAGE", the
    /// message on one line with control characters escaped (a file-supplied name cannot move the cursor or clear the
    /// screen), and for <see cref="Internal"/> the exception's type and a request to report it.
    /// </summary>
    public static string ErrorLine(string program, string message, int code = Data, Exception? exception = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        string text = code == Internal && exception is not null
            ? $"internal error ({exception.GetType().Name}): {message} Please report it; set DEEPSCRATCH_DEBUG=1 for details."
            : message;
        return $"{program}: error: {Serialization.DisplayText.Escape(text.ReplaceLineEndings(" ").Trim())}";
    }
}
