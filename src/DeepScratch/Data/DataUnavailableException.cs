namespace DeepScratch.Data;

/// <summary>
/// Data or weights a command needs are not on disk and could not be downloaded. The message names the missing
/// files and how to provide them (the data folder, <c>DEEPSCRATCH_DATA</c>).
/// </summary>
public sealed class DataUnavailableException : IOException
{
    /// <summary>Creates the exception with a message that tells the user what to do.</summary>
    public DataUnavailableException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
