namespace DeepScratch.Hardening;

/// <summary>
/// A harness could not be set up: a reference run of the CLI or of Python failed or ran out of time, so no figure
/// can be judged. <see cref="Program.Main"/> reports it in one line with exit 3, like a missing file.
/// </summary>
public sealed class HarnessSetupException : Exception
{
    /// <summary>A setup failure described by <paramref name="message"/> (one line, said to the user).</summary>
    public HarnessSetupException(string message)
        : base(message)
    {
    }

    /// <summary>A setup failure described by <paramref name="message"/>, caused by <paramref name="inner"/>.</summary>
    public HarnessSetupException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Required by the exception pattern; prefer a message.</summary>
    public HarnessSetupException()
    {
    }
}
