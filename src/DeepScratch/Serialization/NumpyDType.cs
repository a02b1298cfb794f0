using System.Globalization;

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
    public void ToFloat32(ReadOnlySpan<byte> raw, Span<float> destination) =>
        ElementConverter.ToFloat32(ElementKind, ItemSize, ByteOrder != '>', raw, destination);

    /// <summary>The shared element kind; <see cref="Parse"/> has refused every letter without one.</summary>
    private ElementKind ElementKind => KindOf(Kind) ?? throw new InvalidOperationException($"dtype {Str} was not refused when parsed.");

    /// <summary>numpy's kind letter as the shared element kind, or null for kinds that are not converted.</summary>
    private static ElementKind? KindOf(char kind) => kind switch
    {
        'b' => ElementKind.Bool,
        'i' => ElementKind.Signed,
        'u' => ElementKind.Unsigned,
        'f' => ElementKind.Float,
        _ => null,
    };

    private static void RequireSupported(char kind, int size, string code)
    {
        if (KindOf(kind) is { } elementKind && ElementConverter.Supports(elementKind, size))
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
