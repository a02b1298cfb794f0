namespace DeepScratch.Serialization;

/// <summary>
/// A numpy array. <c>_reconstruct</c> creates it empty and BUILD fills it, so until then <see cref="Value"/> is null;
/// <c>scalar</c> and <c>_frombuffer</c> create it filled.
/// </summary>
internal sealed class PickledArray
{
    /// <summary>The decoded array (named later), or null while it waits for its BUILD.</summary>
    public NumpyArray? Value { get; set; }
}
