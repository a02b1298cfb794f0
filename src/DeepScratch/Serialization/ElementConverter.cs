using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace DeepScratch.Serialization;

/// <summary>
/// The one routine that turns stored array elements into float32, used by the numpy (pickle) and safetensors readers.
/// float64 and 64-bit integers are rounded to nearest, exactly as numpy's <c>astype(np.float32)</c> does; every other
/// supported type converts exactly.
/// </summary>
internal static class ElementConverter
{
    /// <summary>Whether <paramref name="kind"/> with <paramref name="itemSize"/> bytes is a type this routine converts.</summary>
    public static bool Supports(ElementKind kind, int itemSize) => kind switch
    {
        ElementKind.Bool => itemSize == 1,
        ElementKind.Signed or ElementKind.Unsigned => itemSize is 1 or 2 or 4 or 8,
        ElementKind.Float => itemSize is 2 or 4 or 8,
        ElementKind.BFloat => itemSize == 2,
        _ => false,
    };

    /// <summary>
    /// Converts <c>destination.Length</c> elements from <paramref name="raw"/> (in storage order, each
    /// <paramref name="itemSize"/> bytes in the given byte order) to float32.
    /// </summary>
    /// <exception cref="InvalidOperationException">The type is not one <see cref="Supports"/> accepts (a reader's bug).</exception>
    public static void ToFloat32(ElementKind kind, int itemSize, bool littleEndian, ReadOnlySpan<byte> raw, Span<float> destination)
    {
        if (!Supports(kind, itemSize))
        {
            throw new InvalidOperationException($"{kind} of {itemSize} bytes has no conversion to float32.");
        }

        if (kind == ElementKind.Float && itemSize == 4 && littleEndian == BitConverter.IsLittleEndian)
        {
            // The weights' own layout: a plain copy.
            MemoryMarshal.Cast<byte, float>(raw[..(destination.Length * 4)]).CopyTo(destination);
            return;
        }

        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = Element(kind, itemSize, littleEndian, raw.Slice(i * itemSize, itemSize));
        }
    }

    private static float Element(ElementKind kind, int itemSize, bool little, ReadOnlySpan<byte> b) => (kind, itemSize) switch
    {
        (ElementKind.Bool, _) => b[0] != 0 ? 1f : 0f,
        (ElementKind.Unsigned, 1) => b[0],
        (ElementKind.Signed, 1) => (sbyte)b[0],
        (ElementKind.Unsigned, 2) => little ? BinaryPrimitives.ReadUInt16LittleEndian(b) : BinaryPrimitives.ReadUInt16BigEndian(b),
        (ElementKind.Signed, 2) => little ? BinaryPrimitives.ReadInt16LittleEndian(b) : BinaryPrimitives.ReadInt16BigEndian(b),
        (ElementKind.Unsigned, 4) => little ? BinaryPrimitives.ReadUInt32LittleEndian(b) : BinaryPrimitives.ReadUInt32BigEndian(b),
        (ElementKind.Signed, 4) => little ? BinaryPrimitives.ReadInt32LittleEndian(b) : BinaryPrimitives.ReadInt32BigEndian(b),
        (ElementKind.Unsigned, _) => little ? BinaryPrimitives.ReadUInt64LittleEndian(b) : BinaryPrimitives.ReadUInt64BigEndian(b),
        (ElementKind.Signed, _) => little ? BinaryPrimitives.ReadInt64LittleEndian(b) : BinaryPrimitives.ReadInt64BigEndian(b),
        (ElementKind.BFloat, _) => BitConverter.UInt32BitsToSingle(
            (uint)(little ? BinaryPrimitives.ReadUInt16LittleEndian(b) : BinaryPrimitives.ReadUInt16BigEndian(b)) << 16),
        (ElementKind.Float, 2) => (float)(little ? BinaryPrimitives.ReadHalfLittleEndian(b) : BinaryPrimitives.ReadHalfBigEndian(b)),
        (ElementKind.Float, 4) => little ? BinaryPrimitives.ReadSingleLittleEndian(b) : BinaryPrimitives.ReadSingleBigEndian(b),
        _ => (float)(little ? BinaryPrimitives.ReadDoubleLittleEndian(b) : BinaryPrimitives.ReadDoubleBigEndian(b)),
    };
}
