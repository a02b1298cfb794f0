namespace DeepScratch.Serialization;

/// <summary>
/// A numpy dtype. <c>dtype('f4', False, True)</c> creates it with the machine's byte order and BUILD sets the
/// byte order the file was written with, so the type must stay mutable until it is used.
/// </summary>
internal sealed class PickledDType(NumpyDType type)
{
    /// <summary>The element type as far as it is known.</summary>
    public NumpyDType Type { get; set; } = type;
}
