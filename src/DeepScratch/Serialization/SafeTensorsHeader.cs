using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace DeepScratch.Serialization;

/// <summary>
/// The JSON header of a safetensors file: <c>{"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, ...,
/// "__metadata__": {"key": "text"}}</c>. Parsing checks everything a hostile header could lie about (types, duplicate
/// keys, number ranges, shape sizes against the offsets, offsets against the data) before anything is allocated from
/// its numbers; writing produces the compact form the reference implementation writes, padded with spaces.
/// </summary>
internal static class SafeTensorsHeader
{
    /// <summary>The reserved key holding the file's text metadata.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>The format aligns the data buffer: the header length is a multiple of this.</summary>
    public const int Alignment = 8;

    /// <summary>JSON nesting allowed; an honest header nests three deep (root, tensor, shape).</summary>
    private const int MaxDepth = 64;

    /// <summary>
    /// Parses <paramref name="json"/> (valid UTF-8, starting with '{') and checks each entry against a data buffer of
    /// <paramref name="bufferLength"/> bytes: the tensors must tile it exactly, in any order, as the format requires.
    /// </summary>
    /// <exception cref="InvalidDataException">The header is malformed, inconsistent or names an unsupported dtype.</exception>
    public static (List<SafeTensorsEntry> Entries, Dictionary<string, string> Metadata) Parse(
        ReadOnlySpan<byte> json, long bufferLength, string source)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = MaxDepth });
        (List<SafeTensorsEntry> Entries, Dictionary<string, string> Metadata) header;
        try
        {
            header = ParseRoot(ref reader, bufferLength, source);
        }
        catch (JsonException e)
        {
            throw SafeTensors.Damaged(source, $"the header is not valid JSON {Where(e)} ({SafeTensors.Quote(ErrorText.JsonReason(e), 160)})");
        }
        catch (InvalidOperationException)
        {
            // Utf8JsonReader.GetString refuses an escape such as "\ud800" that is not valid UTF-16.
            throw SafeTensors.Damaged(source, "the header holds a string with an invalid \\u escape (a lone surrogate)");
        }

        CheckLayout(header.Entries, bufferLength, source);
        return header;
    }

    /// <summary>
    /// The header for float32 <paramref name="tensors"/> stored back to back in the given order, with
    /// <paramref name="metadata"/> first when there is any: compact UTF-8 JSON padded with spaces to a multiple of 8 bytes.
    /// </summary>
    public static byte[] Write(IReadOnlyList<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata)
                {
                    json.WriteString(key, value);
                }

                json.WriteEndObject();
            }

            long offset = 0;
            foreach (var (name, tensor) in tensors)
            {
                json.WriteStartObject(name);
                json.WriteString("dtype", SafeTensorsDType.F32.Name);
                json.WriteStartArray("shape");
                foreach (int dim in tensor.Shape)
                {
                    json.WriteNumberValue(dim);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += (long)tensor.Length * SafeTensorsDType.F32.ItemSize;
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        int length = buffer.WrittenCount;
        var header = new byte[(length + Alignment - 1) / Alignment * Alignment];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(length).Fill((byte)' ');
        return header;
    }

    private static (List<SafeTensorsEntry>, Dictionary<string, string>) ParseRoot(ref Utf8JsonReader reader, long bufferLength, string source)
    {
        Next(ref reader, source);
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw SafeTensors.Damaged(source, $"the header is {Describe(reader.TokenType)}, not a JSON object");
        }

        var entries = new List<SafeTensorsEntry>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        Dictionary<string, string>? metadata = null;
        while (Next(ref reader, source) != JsonTokenType.EndObject)
        {
            string name = reader.GetString()!;
            Next(ref reader, source);
            if (name == MetadataKey)
            {
                if (metadata is not null)
                {
                    throw SafeTensors.Damaged(source, $"the header has two {MetadataKey} entries");
                }

                metadata = ReadMetadata(ref reader, source);
            }
            else
            {
                if (!names.Add(name))
                {
                    throw SafeTensors.Damaged(source, $"the header describes tensor '{SafeTensors.Quote(name)}' twice");
                }

                entries.Add(ReadEntry(ref reader, name, bufferLength, source));
            }
        }

        if (reader.Read())
        {
            throw SafeTensors.Damaged(source, "the header has more JSON after its object");
        }

        return (entries, metadata ?? new Dictionary<string, string>(StringComparer.Ordinal));
    }

    /// <summary>The <c>__metadata__</c> value: an object of strings (null, which the reference reader allows, means none).</summary>
    private static Dictionary<string, string> ReadMetadata(ref Utf8JsonReader reader, string source)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (reader.TokenType == JsonTokenType.Null)
        {
            return metadata;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw SafeTensors.Damaged(source, $"{MetadataKey} is {Describe(reader.TokenType)}, not an object of strings");
        }

        while (Next(ref reader, source) != JsonTokenType.EndObject)
        {
            string key = reader.GetString()!;
            if (Next(ref reader, source) != JsonTokenType.String)
            {
                throw SafeTensors.Damaged(source,
                    $"metadata entry '{SafeTensors.Quote(key)}' is {Describe(reader.TokenType)}; metadata values must be strings");
            }

            if (!metadata.TryAdd(key, reader.GetString()!))
            {
                throw SafeTensors.Damaged(source, $"metadata entry '{SafeTensors.Quote(key)}' appears twice");
            }
        }

        return metadata;
    }

    private static SafeTensorsEntry ReadEntry(ref Utf8JsonReader reader, string name, long bufferLength, string source)
    {
        string quoted = SafeTensors.Quote(name);
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw SafeTensors.Damaged(source, $"tensor '{quoted}' is described by {Describe(reader.TokenType)}, not an object");
        }

        string? dtypeName = null;
        List<int>? shape = null;
        (long Begin, long End)? offsets = null;
        while (Next(ref reader, source) != JsonTokenType.EndObject)
        {
            string field = reader.GetString()!;
            Next(ref reader, source);
            bool repeated = field switch
            {
                "dtype" => dtypeName is not null,
                "shape" => shape is not null,
                "data_offsets" => offsets is not null,
                _ => false,
            };
            if (repeated)
            {
                throw SafeTensors.Damaged(source, $"tensor '{quoted}' has two '{field}' fields");
            }

            switch (field)
            {
                case "dtype":
                    dtypeName = reader.TokenType == JsonTokenType.String
                        ? reader.GetString()!
                        : throw SafeTensors.Damaged(source, $"the dtype of tensor '{quoted}' is {Describe(reader.TokenType)}, not a string");
                    break;
                case "shape":
                    shape = ReadShape(ref reader, quoted, source);
                    break;
                case "data_offsets":
                    offsets = ReadOffsets(ref reader, quoted, bufferLength, source);
                    break;
                default:
                    reader.Skip(); // The reference reader ignores fields it does not know; so does this one.
                    break;
            }
        }

        if (dtypeName is null || shape is null || offsets is null)
        {
            string missing = dtypeName is null ? "dtype" : shape is null ? "shape" : "data_offsets";
            throw SafeTensors.Damaged(source, $"tensor '{quoted}' has no '{missing}' field");
        }

        if (!SafeTensorsDType.TryParse(dtypeName, out var dtype))
        {
            throw SafeTensors.Refused(source, $"tensor '{quoted}' has dtype '{SafeTensors.Quote(dtypeName)}'",
                $"only {SafeTensorsDType.SupportedList} tensors can be loaded (they are converted to float32).");
        }

        int[] dims = [.. shape];
        long count = ElementCount(dims, quoted, source);
        var (begin, end) = offsets.Value;
        long bytes = count * dtype.ItemSize;
        if (end - begin != bytes)
        {
            throw SafeTensors.Damaged(source,
                $"tensor '{quoted}' of dtype {dtype.Name} and shape {ShapeText(dims)} needs {bytes} bytes " +
                $"but its data_offsets [{begin}, {end}] hold {end - begin}");
        }

        return new SafeTensorsEntry(name, dtype, dims, (int)count, begin, end);
    }

    private static List<int> ReadShape(ref Utf8JsonReader reader, string quoted, string source)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw SafeTensors.Damaged(source, $"the shape of tensor '{quoted}' is {Describe(reader.TokenType)}, not a list of integers");
        }

        var dims = new List<int>();
        while (Next(ref reader, source) != JsonTokenType.EndArray)
        {
            ulong dim = ReadUnsigned(ref reader, source, quoted, "shape", dims.Count);
            if (dim > int.MaxValue)
            {
                throw SafeTensors.Damaged(source,
                    $"dimension {dims.Count} of tensor '{quoted}' is {dim}; a dimension can be at most {int.MaxValue}");
            }

            dims.Add((int)dim);
        }

        return dims;
    }

    private static (long Begin, long End) ReadOffsets(ref Utf8JsonReader reader, string quoted, long bufferLength, string source)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw SafeTensors.Damaged(source, $"the data_offsets of tensor '{quoted}' are {Describe(reader.TokenType)}, not a list of two integers");
        }

        Span<ulong> values = stackalloc ulong[2];
        int count = 0;
        while (Next(ref reader, source) != JsonTokenType.EndArray)
        {
            if (count == 2)
            {
                throw SafeTensors.Damaged(source, $"the data_offsets of tensor '{quoted}' hold more than two numbers");
            }

            values[count] = ReadUnsigned(ref reader, source, quoted, "data_offsets", count);
            count++;
        }

        if (count != 2)
        {
            throw SafeTensors.Damaged(source, $"the data_offsets of tensor '{quoted}' hold {count} number(s), not two");
        }

        ulong begin = values[0], end = values[1];
        if (begin > end)
        {
            throw SafeTensors.Damaged(source, $"tensor '{quoted}' has data_offsets [{begin}, {end}], which end before they begin");
        }

        if (end > (ulong)bufferLength)
        {
            throw SafeTensors.Damaged(source,
                $"tensor '{quoted}' has data_offsets [{begin}, {end}] but the data after the header is {bufferLength} bytes long " +
                "(is the file truncated?)");
        }

        return ((long)begin, (long)end);
    }

    /// <summary>
    /// A JSON number that must be a non-negative integer written in plain digits, as the reference (Rust usize) demands;
    /// read digit by digit so that no value, however long, can overflow.
    /// </summary>
    private static ulong ReadUnsigned(ref Utf8JsonReader reader, string source, string quoted, string field, int index)
    {
        if (reader.TokenType != JsonTokenType.Number)
        {
            throw SafeTensors.Damaged(source, $"{field} entry {index} of tensor '{quoted}' is {Describe(reader.TokenType)}, not an integer");
        }

        ReadOnlySpan<byte> text = reader.ValueSpan; // The reader was given one span, so a value is never a sequence.
        ulong value = 0;
        foreach (byte b in text)
        {
            uint digit = (uint)(b - '0');
            if (digit > 9)
            {
                throw SafeTensors.Damaged(source,
                    $"{field} entry {index} of tensor '{quoted}' is {QuoteNumber(text)}, not a non-negative integer");
            }

            if (value > (ulong.MaxValue - digit) / 10)
            {
                throw SafeTensors.Damaged(source, $"{field} entry {index} of tensor '{quoted}' is {QuoteNumber(text)}, larger than 2^64");
            }

            value = value * 10 + digit;
        }

        return value;
    }

    /// <summary>
    /// Elements in <paramref name="shape"/>, refused when a running product exceeds one array, exactly as
    /// <see cref="Tensor"/>'s constructor checks it; the product cannot overflow since each factor is below 2^31.
    /// </summary>
    private static long ElementCount(int[] shape, string quoted, string source)
    {
        if (ArrayDecoder.EmptyShapeProblem(shape) is { } problem)
        {
            throw SafeTensors.Refused(source, $"tensor '{quoted}' is {problem}", ArrayDecoder.EmptyShapeAdvice);
        }

        long count = 1;
        foreach (int dim in shape)
        {
            count *= dim;
            if (count > Array.MaxLength)
            {
                throw SafeTensors.Damaged(source,
                    $"tensor '{quoted}' has shape {ShapeText(shape)}, more elements than one array can hold");
            }
        }

        return count;
    }

    /// <summary>The tensors, sorted by offsets, must cover the data buffer exactly: no gap, no overlap, nothing after.</summary>
    private static void CheckLayout(List<SafeTensorsEntry> entries, long bufferLength, string source)
    {
        var sorted = entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ToList();
        long expected = 0;
        SafeTensorsEntry? previous = null;
        foreach (var entry in sorted)
        {
            if (entry.Begin < expected)
            {
                throw SafeTensors.Damaged(source,
                    $"tensors '{SafeTensors.Quote(previous!.Name)}' (bytes {previous.Begin}..{previous.End}) and " +
                    $"'{SafeTensors.Quote(entry.Name)}' (bytes {entry.Begin}..{entry.End}) overlap");
            }

            if (entry.Begin > expected)
            {
                throw SafeTensors.Damaged(source, $"bytes {expected}..{entry.Begin} of the data belong to no tensor");
            }

            expected = entry.End;
            previous = entry;
        }

        if (expected != bufferLength)
        {
            throw SafeTensors.Damaged(source,
                $"the tensors end at byte {expected} of the data but {bufferLength} bytes follow the header");
        }
    }

    /// <summary>Reads the next token; the reader has the whole header, so running out means the JSON is cut short.</summary>
    private static JsonTokenType Next(ref Utf8JsonReader reader, string source) =>
        reader.Read() ? reader.TokenType : throw SafeTensors.Damaged(source, "the header's JSON ends early");

    /// <summary>Where the JSON reader stopped, as a byte of the file for the usual one-line header.</summary>
    private static string Where(JsonException e) => e.LineNumber is null or 0
        ? $"at byte {8 + (e.BytePositionInLine ?? 0)}"
        : $"at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1} of the header";

    /// <summary>A shape for a message; a hostile header can list millions of dimensions, so long ones are summarized.</summary>
    private static string ShapeText(int[] shape) =>
        shape.Length <= 8 ? Tensor.FormatShape(shape) : $"{Tensor.FormatShape(shape.AsSpan(0, 8))[..^1]}, ...) ({shape.Length} dimensions)";

    private static string QuoteNumber(ReadOnlySpan<byte> text) =>
        text.Length > 24
            ? Encoding.UTF8.GetString(text[..24]) + "..."
            : Encoding.UTF8.GetString(text);

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "a list",
        _ => token.ToString().ToLower(CultureInfo.InvariantCulture),
    };
}
