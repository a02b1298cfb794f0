namespace DeepScratch.Serialization;

/// <summary>
/// A safetensors element type that can be read as float32: <c>F64</c>, <c>F32</c>, <c>F16</c>, <c>BF16</c>,
/// <c>I64</c>, <c>I32</c>, <c>I16</c>, <c>I8</c> and <c>U8</c>, all little endian as the format prescribes.
/// </summary>
/// <param name="Name">The name the header uses, e.g. <c>F32</c>.</param>
/// <param name="Kind">What the element's bits mean.</param>
/// <param name="ItemSize">Bytes per element.</param>
internal readonly record struct SafeTensorsDType(string Name, ElementKind Kind, int ItemSize)
{
    /// <summary>The one type the writer produces: IEEE single precision.</summary>
    public static readonly SafeTensorsDType F32 = new("F32", ElementKind.Float, 4);

    private static readonly SafeTensorsDType[] Supported =
    [
        F32, new("F64", ElementKind.Float, 8), new("F16", ElementKind.Float, 2), new("BF16", ElementKind.BFloat, 2),
        new("I8", ElementKind.Signed, 1), new("I16", ElementKind.Signed, 2), new("I32", ElementKind.Signed, 4),
        new("I64", ElementKind.Signed, 8), new("U8", ElementKind.Unsigned, 1),
    ];

    /// <summary>The supported names as a phrase for error messages: "F32, F64, ... and U8".</summary>
    public static readonly string SupportedList =
        string.Join(", ", Supported[..^1].Select(t => t.Name)) + " and " + Supported[^1].Name;

    /// <summary>Finds the type the header calls <paramref name="name"/> (case-sensitive, as in the format).</summary>
    public static bool TryParse(string name, out SafeTensorsDType dtype)
    {
        foreach (var candidate in Supported)
        {
            if (candidate.Name == name)
            {
                dtype = candidate;
                return true;
            }
        }

        dtype = default;
        return false;
    }

    /// <summary>
    /// Converts <c>destination.Length</c> little-endian elements from <paramref name="raw"/> to float32. F64 and I64
    /// are rounded to nearest, as numpy's <c>astype(np.float32)</c> does; every other type converts exactly.
    /// </summary>
    public void ToFloat32(ReadOnlySpan<byte> raw, Span<float> destination) =>
        ElementConverter.ToFloat32(Kind, ItemSize, littleEndian: true, raw, destination);
}
