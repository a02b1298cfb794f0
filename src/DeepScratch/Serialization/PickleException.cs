namespace DeepScratch.Serialization;

/// <summary>
/// A problem found inside the pickle machinery, where neither the file name nor the byte offset is at hand.
/// <see cref="PickleReader"/> catches it and rethrows it as the one-line <see cref="InvalidDataException"/>
/// that callers see, so callers never meet this type.
/// </summary>
/// <param name="problem">What is wrong, e.g. <c>refused global 'os.system'</c>.</param>
/// <param name="advice">What it means or what to do, as a sentence.</param>
internal sealed class PickleException(string problem, string advice) : Exception(problem)
{
    /// <summary>The advice for a file that is damaged or is not a pickle at all.</summary>
    public const string Corrupt = "the file is corrupt or is not a pickle of numpy arrays.";

    /// <summary>The advice for a file that may be built to exhaust memory.</summary>
    public const string Hostile = "the file may be crafted to exhaust memory.";

    /// <summary>What is wrong.</summary>
    public string Problem { get; } = problem;

    /// <summary>What it means or what to do.</summary>
    public string Advice { get; } = advice;

    /// <summary>The message users see: <c>file: problem at byte N: advice</c>.</summary>
    public InvalidDataException ToInvalidData(string sourceName, int offset) =>
        new($"{sourceName}: {Problem} at byte {offset}: {Advice}", this);
}
