using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;

namespace DeepScratch.Serialization;

/// <summary>
/// Reads and writes Hugging Face's safetensors format: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
/// describing each tensor (<c>dtype</c>, <c>shape</c>, <c>data_offsets</c> into the data) plus optional
/// <c>__metadata__</c> text, then the tensors' bytes, row-major and little endian.
/// </summary>
/// <remarks>
/// Unlike a pickle, the format holds no code, so the only risk in a hostile file is a header that lies. Every number
/// in it is checked against the bytes actually present before anything is allocated, and every problem is reported
/// as an <see cref="InvalidDataException"/> whose one-line message starts with the file name.
/// </remarks>
public static partial class SafeTensors
{
    /// <summary>The longest header accepted, as in the reference implementation (100 MB).</summary>
    internal const long MaxHeaderBytes = 100_000_000;

    private const int LengthPrefixBytes = 8;
    private const int MaxQuotedLength = 60;

    /// <summary>
    /// JSON's whitespace. The reference reader parses the header with a JSON parser, so whitespace may precede the
    /// '{' and pad the end (its writer pads with spaces); both are accepted here too.
    /// </summary>
    private static ReadOnlySpan<byte> JsonWhitespace => " \t\r\n"u8;

    /// <summary>
    /// Writes <paramref name="tensors"/> as float32 (<c>F32</c>) in the given order, with <paramref name="metadata"/>
    /// if any, to <paramref name="path"/>. The header is padded with spaces to a multiple of 8 bytes, as the reference
    /// writer does, so the data starts aligned. The file is replaced atomically: on any failure the old file is intact.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// A name is null, empty, <c>__metadata__</c>, repeated or not valid Unicode, a tensor is null, or a metadata key or
    /// value is null or not valid Unicode; all are checked before the file is touched.
    /// </exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(tensors);
        var list = CheckTensors(tensors);
        CheckMetadata(metadata);
        byte[] header = SafeTensorsHeader.Write(list, metadata);

        AtomicFile.Write(path, stream =>
        {
            Span<byte> prefix = stackalloc byte[LengthPrefixBytes];
            BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
            stream.Write(prefix);
            stream.Write(header);
            foreach (var (_, tensor) in list)
            {
                WriteLittleEndian(stream, tensor.Span);
            }
        });
    }

    /// <summary>Reads the safetensors file at <paramref name="path"/>; every tensor is converted to float32.</summary>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/> (or it is a folder).</exception>
    /// <exception cref="InvalidDataException">
    /// The file is not a valid safetensors file, holds an unsupported dtype, or is over 2 GiB (it is read whole).
    /// </exception>
    public static SafeTensorsFile Load(string path)
    {
        return Load(WholeFile.Read(path, "safetensors", "files over 2 GiB are refused: save the tensors in several files"), path);
    }

    /// <summary>
    /// Reads an in-memory safetensors file; <paramref name="sourceName"/> names it in error messages. Tensors come in
    /// the order the header lists them. <c>F32</c>, <c>F64</c>, <c>F16</c>, <c>BF16</c>, <c>I8</c>, <c>I16</c>,
    /// <c>I32</c>, <c>I64</c> and <c>U8</c> are converted to float32 (F64 and I64 rounded to nearest); other dtypes are refused.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not a valid safetensors file or hold an unsupported dtype.</exception>
    public static SafeTensorsFile Load(ReadOnlySpan<byte> bytes, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        try
        {
            return Read(bytes, sourceName);
        }
        catch (InvalidDataException e) when (FileIdentity.LooksCrLfDamaged(bytes))
        {
            // A text-mode copy lengthens the data (and any header newline), so offsets and lengths stop matching;
            // the first mismatch found is only a symptom of that.
            throw new InvalidDataException($"{e.Message.TrimEnd('.')}; {FileIdentity.CrLfAdvice}.", e);
        }
        catch (InvalidDataException e) when (FileIdentity.LooksCrStripped(bytes, DeclaredLength(bytes) - bytes.Length))
        {
            // The opposite copy (CR LF to LF) shortens the data, which otherwise reads as a cut-short download.
            throw new InvalidDataException($"{e.Message.TrimEnd('.')}; {FileIdentity.CrStrippedAdvice}.", e);
        }
    }

    /// <summary>
    /// The file length the header implies (8 + header + the largest data_offsets end), read loosely from the header
    /// text so it works on a file the strict reader refused; the declared header alone when the header is cut.
    /// </summary>
    private static long DeclaredLength(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < LengthPrefixBytes)
        {
            return 0;
        }

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > MaxHeaderBytes)
        {
            return 0;
        }

        long headerEnd = LengthPrefixBytes + (long)headerLength;
        if (headerEnd > bytes.Length)
        {
            return headerEnd;
        }

        string header = System.Text.Encoding.UTF8.GetString(bytes[LengthPrefixBytes..(int)headerEnd]);
        long dataEnd = 0;
        foreach (System.Text.RegularExpressions.Match m in DataOffsets().Matches(header))
        {
            if (long.TryParse(m.Groups[1].ValueSpan, System.Globalization.CultureInfo.InvariantCulture, out long end))
            {
                dataEnd = Math.Max(dataEnd, end);
            }
        }

        return headerEnd + dataEnd;
    }

    [System.Text.RegularExpressions.GeneratedRegex("\"data_offsets\"\\s*:\\s*\\[\\s*\\d+\\s*,\\s*(\\d{1,18})\\s*\\]")]
    private static partial System.Text.RegularExpressions.Regex DataOffsets();

    private static SafeTensorsFile Read(ReadOnlySpan<byte> bytes, string sourceName)
    {
        if (bytes.Length < LengthPrefixBytes)
        {
            throw Damaged(sourceName, $"the file is {bytes.Length} bytes long; a safetensors file starts with an 8-byte header length");
        }

        // A pickle or a cut-short download keeps the specific messages below; other kinds of file are named.
        var head = bytes[..Math.Min(bytes.Length, FileIdentity.HeadLength)];
        if (FileIdentity.Identify(head, bytes.Length).Kind is not (FileKind.Pickle or FileKind.TruncatedSafeTensors)
            && FileIdentity.Mismatch(head, bytes.Length, sourceName, FileKind.SafeTensors, "a safetensors file") is { } other)
        {
            throw new InvalidDataException(other);
        }

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        long available = bytes.Length - LengthPrefixBytes;
        if (headerLength > MaxHeaderBytes)
        {
            throw Damaged(sourceName, $"the header length is {headerLength} bytes, over the limit of {MaxHeaderBytes}");
        }

        if ((long)headerLength > available)
        {
            throw Damaged(sourceName,
                $"the header length is {headerLength} bytes but only {available} bytes follow (is the file truncated?)");
        }

        var json = bytes.Slice(LengthPrefixBytes, (int)headerLength);
        int start = json.IndexOfAnyExcept(JsonWhitespace);
        if (start < 0 || json[start] != (byte)'{')
        {
            throw Damaged(sourceName, "the header does not start with '{'");
        }

        if (start > 0 && headerLength < 2 + (ulong)start)
        {
            throw Damaged(sourceName, "the header holds only whitespace and '{'");
        }

        if (!Utf8.IsValid(json))
        {
            throw Damaged(sourceName, "the header is not valid UTF-8");
        }

        var data = bytes[(LengthPrefixBytes + (int)headerLength)..];
        var (entries, metadata) = SafeTensorsHeader.Parse(json, data.Length, sourceName);

        // The layout check has proved that the tensors tile the data exactly, so the allocations below add up to at
        // most four times the file's own size (U8 and I8 widen to float32).
        var tensors = new Dictionary<string, Tensor>(entries.Count, StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var values = new float[entry.ElementCount];
            entry.DType.ToFloat32(data[(int)entry.Begin..(int)entry.End], values);
            tensors.Add(entry.Name, Tensor.FromStored(values, entry.Shape));
        }

        return new SafeTensorsFile(tensors.AsReadOnly(), metadata.AsReadOnly())
        {
            StoredDTypes = entries.ToDictionary(e => e.Name, e => e.DType.Name, StringComparer.Ordinal).AsReadOnly(),
        };
    }

    /// <summary>
    /// A cheap check of the start of <paramref name="path"/>: a header length that is plausible for the file's size,
    /// followed by '{' (after optional JSON whitespace). True does not promise that <see cref="Load(string)"/> succeeds; false for a file that
    /// is missing or cannot be opened.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    public static bool LooksLikeSafeTensors(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            var file = new FileInfo(path);
            return file.Exists && FileIdentity.Identify(FileIdentity.ReadHead(path), file.Length).Kind == FileKind.SafeTensors;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The error for a file that is damaged or is not a safetensors file.</summary>
    internal static InvalidDataException Damaged(string source, string problem) =>
        Refused(source, problem, "the file is damaged or is not a safetensors file.");

    /// <summary>The one-line error callers see: <c>source: problem: advice</c>.</summary>
    internal static InvalidDataException Refused(string source, string problem, string advice) =>
        new($"{source}: {problem}: {advice}");

    /// <summary>
    /// Text from a file made safe for a one-line message (<see cref="DisplayText.Escape"/>: control characters and
    /// bidi overrides become escapes such as <c>\x1b</c>), and long text is cut, since a hostile file chooses these strings.
    /// </summary>
    internal static string Quote(string text, int maxLength = MaxQuotedLength) => DisplayText.Escape(text, maxLength);

    /// <summary>Materializes the tensors once and checks every name, so that a bad one fails before any writing.</summary>
    private static List<KeyValuePair<string, Tensor>> CheckTensors(IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        var list = new List<KeyValuePair<string, Tensor>>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, tensor) in tensors)
        {
            int index = list.Count;
            if (name is null)
            {
                throw new ArgumentException($"Tensor {index} has a null name; give every tensor a name.", nameof(tensors));
            }

            if (name.Length == 0)
            {
                throw new ArgumentException($"Tensor {index} has an empty name; give every tensor a name.", nameof(tensors));
            }

            if (name == SafeTensorsHeader.MetadataKey)
            {
                throw new ArgumentException(
                    $"Tensor {index} is named '{SafeTensorsHeader.MetadataKey}', which the format reserves for the metadata.", nameof(tensors));
            }

            if (!IsValidUtf16(name))
            {
                throw new ArgumentException(
                    $"The name of tensor {index} ('{Quote(name)}') holds a lone surrogate, which UTF-8 cannot encode.", nameof(tensors));
            }

            if (tensor is null)
            {
                throw new ArgumentException($"Tensor '{Quote(name)}' is null.", nameof(tensors));
            }

            if (!names.Add(name))
            {
                throw new ArgumentException($"The name '{Quote(name)}' is given to two tensors; names must be unique.", nameof(tensors));
            }

            list.Add(new(name, tensor));
        }

        return list;
    }

    private static void CheckMetadata(IReadOnlyDictionary<string, string>? metadata)
    {
        if (metadata is null)
        {
            return;
        }

        foreach (var (key, value) in metadata)
        {
            if (key is null || value is null)
            {
                throw new ArgumentException($"Metadata entry '{Quote(key ?? "null")}' has a null key or value.", nameof(metadata));
            }

            if (!IsValidUtf16(key) || !IsValidUtf16(value))
            {
                throw new ArgumentException(
                    $"Metadata entry '{Quote(key)}' holds a lone surrogate, which UTF-8 cannot encode.", nameof(metadata));
            }
        }
    }

    /// <summary>Whether every surrogate in <paramref name="text"/> is part of a pair.</summary>
    private static bool IsValidUtf16(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static void WriteLittleEndian(Stream stream, ReadOnlySpan<float> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(values));
            return;
        }

        Span<byte> chunk = stackalloc byte[4096];
        while (!values.IsEmpty)
        {
            int n = Math.Min(values.Length, chunk.Length / sizeof(float));
            for (int i = 0; i < n; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(chunk[(i * sizeof(float))..], values[i]);
            }

            stream.Write(chunk[..(n * sizeof(float))]);
            values = values[n..];
        }
    }
}
