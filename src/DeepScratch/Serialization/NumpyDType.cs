using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;

namespace DeepScratch.Serialization;

/// <summary>
/// A numpy element type that can be converted to float32: bool, int8..int64, uint8..uint64, float16/32/64,
/// in either byte order. Everything else (objects, structured records, strings, complex, dates) is refused
/// when the dtype is created, before any array data is looked at.
/// </summary>
/// <param name="ByteOrder">'&lt;' little endian, '&gt;' big endian, '|' not applicable (one-byte types).</param>
/// <param name="Kind">numpy's kind letter: 'b' bool, 'i' signed, 'u' unsigned, 'f' float.</param>
/// <param name="ItemSize">Bytes per element.</param>
internal readonly record struct NumpyDType(char ByteOrder, char Kind, int ItemSize)
{
    /// <summary>The byte order of this machine, which numpy writes as '='.</summary>
    private static char NativeOrder => BitConverter.IsLittleEndian ? '<' : '>';

    /// <summary>numpy's <c>dtype.str</c>, e.g. <c>&lt;f4</c>, <c>&gt;i2</c>, <c>|u1</c>.</summary>
    public string Str => ByteOrder + Kind.ToString() + ItemSize.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Parses the type code numpy pickles a dtype with (<c>'f4'</c>, <c>'i8'</c>, <c>'b1'</c>; an optional byte-order
    /// prefix is accepted) in the machine's byte order, which BUILD may change afterwards.
    /// </summary>
    public static NumpyDType Parse(string code)
    {
        ReadOnlySpan<char> rest = code;
        char order = '=';
        if (rest.Length > 0 && rest[0] is '<' or '>' or '|' or '=' or '!')
        {
            order = rest[0];
            rest = rest[1..];
        }

        if (rest.Length < 2 || rest.Length > 4
            || !int.TryParse(rest[1..], NumberStyles.None, CultureInfo.InvariantCulture, out int size))
        {
            throw new PickleException($"dtype '{PickleValue.Quote(code)}' is not a numpy type code", PickleException.Corrupt);
        }

        char kind = rest[0];
        RequireSupported(kind, size, code);
        return new NumpyDType(NormalizeOrder(order, size), kind, size);
    }

    /// <summary>The same type with the byte order from the dtype's BUILD state.</summary>
    public NumpyDType WithByteOrder(char order) => this with { ByteOrder = NormalizeOrder(order, ItemSize) };

    /// <summary>
    /// Converts <c>destination.Length</c> elements from <paramref name="raw"/> to float32, in storage order.
    /// float64 and 64-bit ints are narrowed (rounded to nearest) exactly as numpy's <c>astype(np.float32)</c> does.
    /// </summary>
    public void ToFloat32(ReadOnlySpan<byte> raw, Span<float> destination)
    {
        bool little = ByteOrder != '>';
        if (Kind == 'f' && ItemSize == 4 && little == BitConverter.IsLittleEndian)
        {
            // The weights' own layout: a plain copy.
            MemoryMarshal.Cast<byte, float>(raw[..(destination.Length * 4)]).CopyTo(destination);
            return;
        }

        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = ReadElement(raw.Slice(i * ItemSize, ItemSize), little);
        }
    }

    private float ReadElement(ReadOnlySpan<byte> b, bool little) => (Kind, ItemSize) switch
    {
        ('b', 1) => b[0] != 0 ? 1f : 0f,
        ('u', 1) => b[0],
        ('i', 1) => (sbyte)b[0],
        ('u', 2) => little ? BinaryPrimitives.ReadUInt16LittleEndian(b) : BinaryPrimitives.ReadUInt16BigEndian(b),
        ('i', 2) => little ? BinaryPrimitives.ReadInt16LittleEndian(b) : BinaryPrimitives.ReadInt16BigEndian(b),
        ('u', 4) => little ? BinaryPrimitives.ReadUInt32LittleEndian(b) : BinaryPrimitives.ReadUInt32BigEndian(b),
        ('i', 4) => little ? BinaryPrimitives.ReadInt32LittleEndian(b) : BinaryPrimitives.ReadInt32BigEndian(b),
        ('u', 8) => little ? BinaryPrimitives.ReadUInt64LittleEndian(b) : BinaryPrimitives.ReadUInt64BigEndian(b),
        ('i', 8) => little ? BinaryPrimitives.ReadInt64LittleEndian(b) : BinaryPrimitives.ReadInt64BigEndian(b),
        ('f', 2) => (float)(little ? BinaryPrimitives.ReadHalfLittleEndian(b) : BinaryPrimitives.ReadHalfBigEndian(b)),
        ('f', 4) => little ? BinaryPrimitives.ReadSingleLittleEndian(b) : BinaryPrimitives.ReadSingleBigEndian(b),
        _ => (float)(little ? BinaryPrimitives.ReadDoubleLittleEndian(b) : BinaryPrimitives.ReadDoubleBigEndian(b)),
    };

    private static void RequireSupported(char kind, int size, string code)
    {
        bool supported = kind switch
        {
            'b' => size == 1,
            'i' or 'u' => size is 1 or 2 or 4 or 8,
            'f' => size is 2 or 4 or 8,
            _ => false,
        };
        if (supported)
        {
            return;
        }

        string quoted = PickleValue.Quote(code);
        throw kind switch
        {
            'O' => new PickleException($"object dtype '{quoted}' is refused",
                "object arrays hold arbitrary Python objects, which can run code when loaded; save numeric arrays instead."),
            'V' => new PickleException($"structured dtype '{quoted}' is not supported",
                "save each field as its own array."),
            _ => new PickleException($"dtype '{quoted}' is not supported",
                "only bool, int8..int64, uint8..uint64 and float16/32/64 arrays can be converted to float32."),
        };
    }

    private static char NormalizeOrder(char order, int itemSize)
    {
        if (itemSize == 1)
        {
            return '|'; // numpy's own spelling: byte order does not apply to one-byte types.
        }

        return order switch
        {
            '<' or '>' => order,
            '!' => '>',
            '=' or '|' => NativeOrder,
            _ => throw new PickleException($"byte order '{PickleValue.Quote(order.ToString())}' is not one of < > | =",
                PickleException.Corrupt),
        };
    }
}
