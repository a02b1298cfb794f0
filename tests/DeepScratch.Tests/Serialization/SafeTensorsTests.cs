using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using DeepScratch.Serialization;
using DeepScratch.Tests.Data;

namespace DeepScratch.Tests.Serialization;

/// <summary>
/// <see cref="SafeTensors"/>: round trips, the exact byte layout, files written by an independent implementation of
/// the specification (bench/reference/make_safetensors_fixtures.py, since Debian has no safetensors package), hostile
/// and damaged files (only ever <see cref="InvalidDataException"/>), and atomic saving.
/// </summary>
public sealed class SafeTensorsTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    // ---------------------------------------------------------------------------------------------------------------
    // Round trips and layout

    [Fact]
    public void Round_trip_keeps_order_shapes_bit_exact_values_and_metadata()
    {
        var random = new Random(7);
        var tensors = new List<KeyValuePair<string, Tensor>>
        {
            new("z.last.first", Tensor.FromValues(float.NaN, -0.0f, float.Epsilon, float.PositiveInfinity, float.MinValue, 1e-40f)),
            new("scalar", Tensor.Scalar(2.5f)),
            new("conv.W", new Tensor(Enumerable.Range(0, 2 * 3 * 4 * 5).Select(_ => (float)random.NextDouble() - 0.5f).ToArray(), 2, 3, 4, 5)),
            new("empty", Tensor.Zeros(0, 3)),
            new("empty_vector", Tensor.Zeros(0)),
            new("名前 with spaces \"quotes\" \\ and\ttab", Tensor.FromValues(1, 2, 3)),
            new("emoji 🙂", Tensor.Scalar(BitConverter.UInt32BitsToSingle(0x7FA0_0001))), // a signalling NaN payload
        };
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["empty"] = "",
            ["multi\nline"] = "tab\there, quote \" backslash \\ and ünïcödé 🙂",
        };
        string path = _folder.File("model.safetensors");

        SafeTensors.Save(path, tensors, metadata);
        var loaded = SafeTensors.Load(path);

        Assert.Equal(tensors.Select(t => t.Key), loaded.Tensors.Keys);
        foreach (var (name, tensor) in tensors)
        {
            Assert.Equal(tensor.Shape.ToArray(), loaded.Tensors[name].Shape.ToArray());
            Assert.Equal(Bits(tensor), Bits(loaded.Tensors[name]));
        }

        Assert.Equal(metadata.ToArray(), loaded.Metadata.ToArray());
    }

    [Fact]
    public void A_scalar_has_shape_brackets_with_nothing_inside_and_one_element()
    {
        string path = _folder.File("scalar.safetensors");
        SafeTensors.Save(path, [new("s", Tensor.Scalar(-3f))]);

        byte[] bytes = File.ReadAllBytes(path);
        Assert.Contains("\"shape\":[]", HeaderText(bytes));
        var s = SafeTensors.Load(path).Tensors["s"];
        Assert.Equal(0, s.Rank);
        Assert.Equal([-3f], s.ToArray());
    }

    [Fact]
    public void Saving_a_view_writes_only_its_own_elements()
    {
        var whole = new Tensor(Enumerable.Range(0, 12).Select(i => (float)i).ToArray(), 4, 3);
        string path = _folder.File("rows.safetensors");

        SafeTensors.Save(path, [new("middle", whole.Rows(1, 2))]);

        var loaded = SafeTensors.Load(path).Tensors["middle"];
        Assert.Equal([2, 3], loaded.Shape.ToArray());
        Assert.Equal([3f, 4, 5, 6, 7, 8], loaded.ToArray());
    }

    [Fact]
    public void No_tensors_and_no_metadata_save_as_a_valid_empty_file()
    {
        string path = _folder.File("nothing.safetensors");
        SafeTensors.Save(path, []);

        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal([8, 0, 0, 0, 0, 0, 0, 0, .. "{}      "u8], bytes);
        var loaded = SafeTensors.Load(path);
        Assert.Empty(loaded.Tensors);
        Assert.Empty(loaded.Metadata);
    }

    [Fact]
    public void A_tiny_file_is_laid_out_exactly_as_the_format_says()
    {
        string path = _folder.File("tiny.safetensors");
        SafeTensors.Save(path, [new("a", Tensor.FromValues(1f, -2f)), new("b", Tensor.Scalar(0.5f))],
            new Dictionary<string, string> { ["k"] = "v" });

        // The header: 132 bytes of compact JSON, metadata first, then 4 spaces so that 8 + 136 is a multiple of 8.
        const string Json = """{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[],"data_offsets":[8,12]}}""";
        Assert.Equal(132, Json.Length);
        byte[] expected =
        [
            136, 0, 0, 0, 0, 0, 0, 0, // header length, u64 little endian
            .. Encoding.ASCII.GetBytes(Json), .. "    "u8,
            0x00, 0x00, 0x80, 0x3F, // a[0] = 1.0f
            0x00, 0x00, 0x00, 0xC0, // a[1] = -2.0f
            0x00, 0x00, 0x00, 0x3F, // b = 0.5f
        ];
        Assert.Equal(expected, File.ReadAllBytes(path));
    }

    [Theory]
    [InlineData("a")]
    [InlineData("ab")]
    [InlineData("abc")]
    [InlineData("abcd")]
    [InlineData("abcde")]
    [InlineData("abcdef")]
    [InlineData("abcdefg")]
    [InlineData("abcdefgh")]
    [InlineData("é")]
    [InlineData("日本")]
    public void The_header_is_padded_with_spaces_so_the_data_starts_8_byte_aligned(string name)
    {
        string path = _folder.File("aligned.safetensors");
        SafeTensors.Save(path, [new(name, Tensor.FromValues(1f, 2f))]);

        byte[] bytes = File.ReadAllBytes(path);
        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, n % 8);
        Assert.Equal(8 + n + 8, bytes.Length);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.EndsWith("}", header.TrimEnd(' '));
        Assert.True(header.Length - header.TrimEnd(' ').Length < 8, "at most 7 spaces of padding");
        Assert.Equal(name, SafeTensors.Load(path).Tensors.Keys.Single());
    }

    [Fact]
    public void Saving_over_a_file_replaces_it()
    {
        string path = _folder.File("w.safetensors");
        SafeTensors.Save(path, [new("old", Tensor.FromValues(1f))]);
        SafeTensors.Save(path, [new("new", Tensor.FromValues(2f, 3f))]);

        Assert.Equal(["new"], SafeTensors.Load(path).Tensors.Keys);
        Assert.Equal(["w.safetensors"], Directory.GetFiles(_folder.Path).Select(Path.GetFileName));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Files from the independent implementation of the specification

    public static TheoryData<string> FixtureNames => new(AllFixtures.Select(f => f.Name));

    [Theory]
    [MemberData(nameof(FixtureNames))]
    public void A_fixture_loads_with_the_values_numpy_computed(string name)
    {
        var fixture = AllFixtures.Single(f => f.Name == name);

        var loaded = SafeTensors.Load(fixture.Bytes, $"{name}.safetensors");

        Assert.Equal(fixture.Tensors.Select(t => t.Name), loaded.Tensors.Keys);
        foreach (var expected in fixture.Tensors)
        {
            var tensor = loaded.Tensors[expected.Name];
            Assert.Equal(expected.Shape, tensor.Shape.ToArray());
            Assert.Equal(expected.Bits, Bits(tensor));
        }

        Assert.Equal(fixture.Metadata, loaded.Metadata.ToArray());
    }

    [Fact]
    public void Save_writes_the_reference_style_fixture_byte_for_byte()
    {
        var fixture = ReferenceF32;
        var tensors = fixture.Tensors.Select(t => new KeyValuePair<string, Tensor>(
            t.Name, Tensor.FromStored(t.Bits.Select(BitConverter.UInt32BitsToSingle).ToArray(), t.Shape)));
        string path = _folder.File("reference.safetensors");

        SafeTensors.Save(path, tensors, new Dictionary<string, string>(fixture.Metadata));

        Assert.Equal(fixture.Bytes, File.ReadAllBytes(path));
    }

    [Fact]
    public void Loading_and_saving_the_reference_style_fixture_gives_back_the_same_bytes()
    {
        var loaded = SafeTensors.Load(ReferenceF32.Bytes, "reference_f32.safetensors");
        string path = _folder.File("again.safetensors");

        SafeTensors.Save(path, loaded.Tensors, loaded.Metadata);

        Assert.Equal(ReferenceF32.Bytes, File.ReadAllBytes(path));
    }

    [PythonNumpyFact]
    public void The_reference_scripts_reader_accepts_what_Save_writes()
    {
        var tensors = new List<KeyValuePair<string, Tensor>>
        {
            new("layer1.W", new Tensor([0.25f, -1e-40f, float.NaN, -0.0f, 3e38f, 1f], 2, 3)),
            new("layer1.b", Tensor.Scalar(7f)),
            new("empty", Tensor.Zeros(0, 4)),
            new("名前", Tensor.FromValues(1.5f, -2.5f)),
        };
        var metadata = new Dictionary<string, string> { ["epoch"] = "3", ["名"] = "値 ✓" };
        string path = _folder.File("ours.safetensors");
        SafeTensors.Save(path, tensors, metadata);
        byte[] bytes = File.ReadAllBytes(path);

        string output = RunReferenceReader(path);

        var expected = new List<string> { $"header {BinaryPrimitives.ReadUInt64LittleEndian(bytes)}" };
        expected.AddRange(tensors.Select(t =>
            $"tensor {Utf8Hex(t.Key)} F32 {string.Join(',', t.Value.Shape.ToArray())} " +
            Convert.ToHexStringLower(MemoryMarshal.AsBytes(t.Value.Span))));
        expected.AddRange(metadata.Select(m => $"metadata {Utf8Hex(m.Key)} {Utf8Hex(m.Value)}"));
        Assert.Equal(expected, output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Hostile and damaged files

    [Theory]
    [InlineData("""[]""", 0, "the header does not start with '{'")]
    [InlineData(""" []""", 0, "the header does not start with '{'")]
    [InlineData("  \n ", 0, "the header does not start with '{'")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}""", 4, "not valid JSON")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},}""", 4, "not valid JSON")]
    [InlineData("""{} x""", 0, "the header is not valid JSON at byte 11 ('x' is invalid after a single JSON value")]
    [InlineData("""{}{}""", 0, "not valid JSON")]
    [InlineData("""{/* comment */}""", 0, "not valid JSON")]
    [InlineData("{}\0\0\0\0\0\0", 0, "not valid JSON")]
    [InlineData("""{'a':1}""", 0, "not valid JSON")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "describes tensor 'a' twice")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"\u0061":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "describes tensor 'a' twice")]
    [InlineData("""{"a":[0,4]}""", 4, "tensor 'a' is described by a list, not an object")]
    [InlineData("""{"a":"F32"}""", 4, "tensor 'a' is described by a string, not an object")]
    [InlineData("""{"a":{"shape":[1],"data_offsets":[0,4]}}""", 4, "tensor 'a' has no 'dtype' field")]
    [InlineData("""{"a":{"dtype":"F32","data_offsets":[0,4]}}""", 4, "tensor 'a' has no 'shape' field")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1]}}""", 4, "tensor 'a' has no 'data_offsets' field")]
    [InlineData("""{"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 4, "tensor 'a' has two 'dtype' fields")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"shape":[1],"data_offsets":[0,4]}}""", 4, "tensor 'a' has two 'shape' fields")]
    [InlineData("""{"a":{"dtype":32,"shape":[1],"data_offsets":[0,4]}}""", 4, "the dtype of tensor 'a' is a number, not a string")]
    [InlineData("""{"a":{"dtype":null,"shape":[1],"data_offsets":[0,4]}}""", 4, "the dtype of tensor 'a' is null, not a string")]
    [InlineData("""{"a":{"dtype":"F32","shape":"1","data_offsets":[0,4]}}""", 4, "the shape of tensor 'a' is a string, not a list of integers")]
    [InlineData("""{"a":{"dtype":"F32","shape":{"0":1},"data_offsets":[0,4]}}""", 4, "the shape of tensor 'a' is an object")]
    [InlineData("""{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", 4, "shape entry 0 of tensor 'a' is -1, not a non-negative integer")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}""", 4, "shape entry 0 of tensor 'a' is 1.0, not a non-negative integer")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1e0],"data_offsets":[0,4]}}""", 4, "shape entry 0 of tensor 'a' is 1e0, not a non-negative integer")]
    [InlineData("""{"a":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}}""", 4, "shape entry 0 of tensor 'a' is a string, not an integer")]
    [InlineData("""{"a":{"dtype":"F32","shape":[true],"data_offsets":[0,4]}}""", 4, "shape entry 0 of tensor 'a' is a boolean, not an integer")]
    [InlineData("""{"a":{"dtype":"F32","shape":[[1]],"data_offsets":[0,4]}}""", 4, "shape entry 0 of tensor 'a' is a list, not an integer")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2147483648],"data_offsets":[0,4]}}""", 4, "dimension 0 of tensor 'a' is 2147483648; a dimension can be at most 2147483647")]
    [InlineData("""{"a":{"dtype":"F32","shape":[18446744073709551615],"data_offsets":[0,4]}}""", 4, "dimension 0 of tensor 'a' is 18446744073709551615")]
    [InlineData("""{"a":{"dtype":"F32","shape":[18446744073709551616],"data_offsets":[0,4]}}""", 4, "shape entry 0 of tensor 'a' is 18446744073709551616, larger than 2^64")]
    [InlineData("""{"a":{"dtype":"F32","shape":[65536,65536],"data_offsets":[0,0]}}""", 0, "tensor 'a' has shape (65536, 65536), more elements than one array can hold")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2147483647,2147483647,2147483647,2147483647,0],"data_offsets":[0,0]}}""", 0, "more elements than one array can hold")]
    [InlineData("""{"a":{"dtype":"U8","shape":[1,1,1,1,1,1,1,1,1,1,1,3],"data_offsets":[0,2]}}""", 2, "tensor 'a' of dtype U8 and shape (1, 1, 1, 1, 1, 1, 1, 1, ...) (12 dimensions) needs 3 bytes")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}""", 4, "tensor 'a' of dtype F32 and shape (2,) needs 8 bytes but its data_offsets [0, 4] hold 4")]
    [InlineData("""{"a":{"dtype":"F64","shape":[1],"data_offsets":[0,4]}}""", 4, "tensor 'a' of dtype F64 and shape (1,) needs 8 bytes")]
    [InlineData("""{"a":{"dtype":"F32","shape":[],"data_offsets":[0,0]}}""", 0, "tensor 'a' of dtype F32 and shape () needs 4 bytes but its data_offsets [0, 0] hold 0")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}""", 4, "the data_offsets of tensor 'a' hold 1 number(s), not two")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[]}}""", 4, "the data_offsets of tensor 'a' hold 0 number(s), not two")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}""", 8, "the data_offsets of tensor 'a' hold more than two numbers")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":"0,4"}}""", 4, "the data_offsets of tensor 'a' are a string")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}""", 4, "data_offsets entry 0 of tensor 'a' is -4, not a non-negative integer")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}""", 8, "tensor 'a' has data_offsets [8, 4], which end before they begin")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,400]}}""", 4, "tensor 'a' has data_offsets [0, 400] but the data after the header is 4 bytes long")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[18446744073709551611,18446744073709551615]}}""", 4, "but the data after the header is 4 bytes long")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "tensors 'a' (bytes 0..8) and 'b' (bytes 4..8) overlap")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 4, "overlap")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}""", 8, "overlap")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "bytes 0..4 of the data belong to no tensor")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", 12, "bytes 4..8 of the data belong to no tensor")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 8, "the tensors end at byte 4 of the data but 8 bytes follow the header")]
    [InlineData("""{}""", 1, "the tensors end at byte 0 of the data but 1 bytes follow the header")]
    [InlineData("""{"__metadata__":{"k":1}}""", 0, "metadata entry 'k' is a number; metadata values must be strings")]
    [InlineData("""{"__metadata__":{"k":null}}""", 0, "metadata entry 'k' is null; metadata values must be strings")]
    [InlineData("""{"__metadata__":{"k":["v"]}}""", 0, "metadata entry 'k' is a list")]
    [InlineData("""{"__metadata__":{"k":{"v":"w"}}}""", 0, "metadata entry 'k' is an object")]
    [InlineData("""{"__metadata__":{"k":false}}""", 0, "metadata entry 'k' is a boolean")]
    [InlineData("""{"__metadata__":"k=v"}""", 0, "__metadata__ is a string, not an object of strings")]
    [InlineData("""{"__metadata__":[]}""", 0, "__metadata__ is a list, not an object of strings")]
    [InlineData("""{"__metadata__":{"k":"v","k":"w"}}""", 0, "metadata entry 'k' appears twice")]
    [InlineData("""{"__metadata__":{},"__metadata__":{}}""", 0, "the header has two __metadata__ entries")]
    [InlineData("""{"\ud800":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 4, "a string with an invalid \\u escape")]
    [InlineData("""{"__metadata__":{"k":"\udc00x"}}""", 0, "a string with an invalid \\u escape")]
    [InlineData("""{"a\nb":{}}""", 0, @"tensor 'a\nb' has no 'dtype' field")]
    public void A_hostile_header_is_refused_with_a_one_line_message(string header, int dataLength, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(Build(header, dataLength), "evil.safetensors"));

        Assert.StartsWith("evil.safetensors: ", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.DoesNotContain('\r', e.Message);
    }

    [Fact]
    public void Nesting_deeper_than_64_inside_an_ignored_field_is_refused()
    {
        string deep = new string('[', 100) + new string(']', 100);
        string header = $$$"""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":{{{deep}}}}}""";

        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(Build(header, 4), "deep.safetensors"));
        Assert.Contains("not valid JSON", e.Message);
    }

    [Theory]
    [InlineData("BOOL")]
    [InlineData("U16")]
    [InlineData("U32")]
    [InlineData("U64")]
    [InlineData("F8_E4M3")]
    [InlineData("F8_E5M2")]
    [InlineData("C64")]
    [InlineData("f32")]
    [InlineData("float32")]
    [InlineData("")]
    public void An_unsupported_dtype_is_refused_naming_the_supported_ones(string dtype)
    {
        string header = $$$"""{"a":{"dtype":"{{{dtype}}}","shape":[1],"data_offsets":[0,1]}}""";

        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(Build(header, 1), "odd.safetensors"));

        Assert.Equal(
            $"odd.safetensors: tensor 'a' has dtype '{dtype}': only F32, F64, F16, BF16, I8, I16, I32, I64 and U8 tensors " +
            "can be loaded (they are converted to float32).",
            e.Message);
    }

    [Theory]
    [InlineData(new byte[0], "the file is 0 bytes long")]
    [InlineData(new byte[] { 2, 0, 0, 0, 0, 0, 0 }, "the file is 7 bytes long; a safetensors file starts with an 8-byte header length")]
    [InlineData(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0 }, "the header does not start with '{'")]
    [InlineData(new byte[] { 3, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'}' }, "the header length is 3 bytes but only 2 bytes follow (is the file truncated?)")]
    [InlineData(new byte[] { 0x01, 0xE1, 0xF5, 0x05, 0, 0, 0, 0, (byte)'{', (byte)'}' }, "the header length is 100000001 bytes, over the limit of 100000000")]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, (byte)'{', (byte)'}' }, "the header length is 18446744073709551615 bytes, over the limit")]
    [InlineData(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0x80, (byte)'{', (byte)'}' }, "over the limit")]
    [InlineData(new byte[] { 0, 0, 0, 0x80, 0, 0, 0, 0, (byte)'{', (byte)'}' }, "over the limit")]
    [InlineData(new byte[] { 0x80, 0x05, 0x95, 0, 0, 0, 0, 0, (byte)'{' }, "only 1 bytes follow")]
    [InlineData(new byte[] { 4, 0, 0, 0, 0, 0, 0, 0, (byte)'{', 0xC3, 0x28, (byte)'}' }, "the header is not valid UTF-8")]
    [InlineData(new byte[] { 4, 0, 0, 0, 0, 0, 0, 0, (byte)'{', 0xED, 0xA0, 0x80 }, "the header is not valid UTF-8")]
    [InlineData(new byte[] { 5, 0, 0, 0, 0, 0, 0, 0, 0xEF, 0xBB, 0xBF, (byte)'{', (byte)'}' }, "the header does not start with '{'")]
    public void An_impossible_header_length_or_encoding_is_refused_before_any_allocation(byte[] bytes, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(bytes, "bad.safetensors"));

        Assert.StartsWith("bad.safetensors: ", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.EndsWith(": the file is damaged or is not a safetensors file.", e.Message);
    }

    [Fact]
    public void What_the_reference_reader_tolerates_is_accepted()
    {
        // Unknown fields are ignored, null metadata means none, any JSON whitespace may pad the header, tensors may be
        // listed out of storage order, and an empty tensor may share its offset with the next one.
        string header = """
            { "b" : {"data_offsets":[4,8], "shape":[1], "dtype":"F32", "note": {"x": [1, 2, {"y": null}]}},
              "e" : {"dtype":"F32","shape":[0,5],"data_offsets":[4,4]},
              "a" : {"dtype":"I8","shape":[2,2],"data_offsets":[0,4]},
              "__metadata__" : null }
            """ + "\n\t  ";
        byte[] data = [0xFF, 0x01, 0x80, 0x7F, 0x00, 0x00, 0x20, 0x41];

        var loaded = SafeTensors.Load(Build(header, data), "tolerant.safetensors");

        Assert.Equal(["b", "e", "a"], loaded.Tensors.Keys);
        Assert.Equal([10f], loaded.Tensors["b"].ToArray());
        Assert.Equal([0, 5], loaded.Tensors["e"].Shape.ToArray());
        Assert.Equal([2, 2], loaded.Tensors["a"].Shape.ToArray());
        Assert.Equal([-1f, 1f, -128f, 127f], loaded.Tensors["a"].ToArray());
        Assert.Empty(loaded.Metadata);
    }

    [Fact]
    public void Every_supported_dtype_converts_as_documented()
    {
        byte[] data =
        [
            .. Le(BitConverter.DoubleToInt64Bits(1.0 / 3)), // F64, rounded to nearest float
            0x00, 0x3C, 0x00, 0xFC,                        // F16: 1.0, -infinity
            0x49, 0x40, 0x80, 0xFF,                        // BF16: 3.140625, -infinity
            .. Le(long.MinValue),                          // I64
            .. BitConverter.GetBytes(-7), 0x00, 0x80,      // I32 (little-endian host), I16: -32768
            0x80, 0x80,                                    // I8: -128, U8: 128
        ];
        string header = """
            {"f64":{"dtype":"F64","shape":[],"data_offsets":[0,8]},"f16":{"dtype":"F16","shape":[2],"data_offsets":[8,12]},
             "bf16":{"dtype":"BF16","shape":[2],"data_offsets":[12,16]},"i64":{"dtype":"I64","shape":[],"data_offsets":[16,24]},
             "i32":{"dtype":"I32","shape":[],"data_offsets":[24,28]},"i16":{"dtype":"I16","shape":[],"data_offsets":[28,30]},
             "i8":{"dtype":"I8","shape":[],"data_offsets":[30,31]},"u8":{"dtype":"U8","shape":[],"data_offsets":[31,32]}}
            """;

        var t = SafeTensors.Load(Build(header, data), "dtypes.safetensors").Tensors;

        Assert.Equal([(float)(1.0 / 3)], t["f64"].ToArray());
        Assert.Equal([1f, float.NegativeInfinity], t["f16"].ToArray());
        Assert.Equal([3.140625f, float.NegativeInfinity], t["bf16"].ToArray());
        Assert.Equal([-9.223372e18f], t["i64"].ToArray());
        Assert.Equal([-7f], t["i32"].ToArray());
        Assert.Equal([-32768f], t["i16"].ToArray());
        Assert.Equal([-128f], t["i8"].ToArray());
        Assert.Equal([128f], t["u8"].ToArray());
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Fuzzing: damaged copies only ever fail with InvalidDataException

    [Fact]
    public void Two_thousand_mutations_of_a_saved_file_only_ever_fail_with_InvalidDataException()
    {
        string path = _folder.File("fuzz.safetensors");
        var random = new Random(20250101);
        SafeTensors.Save(path,
        [
            new("conv1.W", new Tensor(Enumerable.Range(0, 2 * 1 * 3 * 3).Select(_ => (float)random.NextDouble()).ToArray(), 2, 1, 3, 3)),
            new("conv1.b", Tensor.FromValues(0.5f, -0.5f)),
            new("scale", Tensor.Scalar(2f)),
            new("empty", Tensor.Zeros(0, 7)),
        ], new Dictionary<string, string> { ["format"] = "pt", ["epoch"] = "12" });
        byte[] original = File.ReadAllBytes(path);
        var clock = Stopwatch.StartNew();
        int refused = 0;

        for (int i = 0; i < 2000; i++)
        {
            refused += LoadsOrRefuses(Mutate(original, random), $"mutation {i}") ? 0 : 1;
        }

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"2000 mutations took {clock.Elapsed.TotalSeconds:F1} s");
        Assert.InRange(refused, 1000, 2000); // nearly every edit of the header or length breaks something
    }

    [Fact]
    public void Mutations_of_every_fixture_only_ever_fail_with_InvalidDataException()
    {
        var random = new Random(99);
        foreach (var fixture in AllFixtures)
        {
            byte[] original = fixture.Bytes;
            for (int i = 0; i < 700; i++)
            {
                LoadsOrRefuses(Mutate(original, random), $"{fixture.Name} mutation {i}");
            }
        }
    }

    [Fact]
    public void Every_truncation_of_every_fixture_is_refused_with_InvalidDataException()
    {
        foreach (var fixture in AllFixtures)
        {
            byte[] bytes = fixture.Bytes;
            for (int length = 0; length < bytes.Length; length++)
            {
                var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(bytes.AsSpan(0, length), "cut.safetensors"));
                Assert.StartsWith("cut.safetensors: ", e.Message);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Saving: names checked first, atomic replacement

    public static TheoryData<int> BadTensorLists => new(Enumerable.Range(0, BadLists().Length));

    [Theory]
    [MemberData(nameof(BadTensorLists))]
    public void A_bad_tensor_list_throws_ArgumentException_and_leaves_the_existing_file_intact(int index)
    {
        var (tensors, expected) = BadLists()[index];
        string path = _folder.File("good.safetensors");
        SafeTensors.Save(path, [new("w", Tensor.FromValues(1f, 2f, 3f))], new Dictionary<string, string> { ["v"] = "1" });
        byte[] good = File.ReadAllBytes(path);

        var e = Assert.Throws<ArgumentException>(() => SafeTensors.Save(path, tensors));

        Assert.Contains(expected, e.Message);
        Assert.Equal(good, File.ReadAllBytes(path));
        Assert.Equal(["good.safetensors"], Directory.GetFiles(_folder.Path).Select(Path.GetFileName)); // no temp file left
        Assert.Equal([1f, 2f, 3f], SafeTensors.Load(path).Tensors["w"].ToArray());
    }

    [Theory]
    [InlineData(0, "has a null key or value")]
    [InlineData(1, "holds a lone surrogate")]
    [InlineData(2, "holds a lone surrogate")]
    public void Bad_metadata_throws_ArgumentException_before_the_file_is_touched(int index, string expected)
    {
        // Built here: xunit would turn a lone surrogate in InlineData into U+FFFD.
        (string Key, string? Value)[] entries = [("k", null), ("\ud800", "v"), ("k", "a\udc00")];
        string path = _folder.File("m.safetensors");
        var metadata = new Dictionary<string, string> { [entries[index].Key] = entries[index].Value! };

        var e = Assert.Throws<ArgumentException>(() => SafeTensors.Save(path, [new("w", Tensor.FromValues(1f))], metadata));

        Assert.Contains(expected, e.Message);
        Assert.False(File.Exists(path));
        Assert.Empty(Directory.GetFiles(_folder.Path));
    }

    [Fact]
    public void Saving_into_a_missing_folder_is_an_IOException_naming_it()
    {
        string path = _folder.File("no-such-folder", "w.safetensors");

        var e = Assert.ThrowsAny<IOException>(() => SafeTensors.Save(path, [new("w", Tensor.FromValues(1f))]));

        Assert.Contains("no-such-folder", e.Message);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Loading from a path and sniffing

    [Fact]
    public void Loading_a_missing_file_is_a_FileNotFoundException()
    {
        string path = _folder.File("missing.safetensors");

        var e = Assert.Throws<FileNotFoundException>(() => SafeTensors.Load(path));

        Assert.Equal(path, e.FileName);
        Assert.Throws<ArgumentException>(() => SafeTensors.Load(""));
    }

    [Fact]
    public void Errors_from_a_file_name_the_file()
    {
        string path = _folder.Write("broken.safetensors", Build("""{"a":{}}""", 0));

        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));

        Assert.Equal($"{path}: tensor 'a' has no 'dtype' field: the file is damaged or is not a safetensors file.", e.Message);
    }

    [Fact]
    public void LooksLikeSafeTensors_accepts_safetensors_files_only()
    {
        string saved = _folder.File("saved.safetensors");
        SafeTensors.Save(saved, [new("w", Tensor.FromValues(1f))]);
        Assert.True(SafeTensors.LooksLikeSafeTensors(saved));
        foreach (var fixture in AllFixtures)
        {
            Assert.True(SafeTensors.LooksLikeSafeTensors(_folder.Write(fixture.Name + ".safetensors", fixture.Bytes)), fixture.Name);
        }

        Assert.False(SafeTensors.LooksLikeSafeTensors(_folder.File("missing.safetensors")));
        Assert.False(SafeTensors.LooksLikeSafeTensors(_folder.Path));
        Assert.False(SafeTensors.LooksLikeSafeTensors(_folder.Write("empty.bin", [])));
        Assert.False(SafeTensors.LooksLikeSafeTensors(_folder.Write("short.bin", [2, 0, 0, 0, 0, 0, 0, 0])));
        Assert.False(SafeTensors.LooksLikeSafeTensors(_folder.Write("params.pkl", PickleFixtures.P2Mixed.Bytes)));
        Assert.False(SafeTensors.LooksLikeSafeTensors(_folder.Write("text.txt", "hello, world: not a tensor file\n"u8.ToArray())));
        Assert.False(SafeTensors.LooksLikeSafeTensors(_folder.Write("long.bin", Build("{}", 0)[..9])));
        Assert.False(SafeTensors.LooksLikeSafeTensors(_folder.Write("array.bin", Build("[]", 0))));
        Assert.Throws<ArgumentException>(() => SafeTensors.LooksLikeSafeTensors(""));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Helpers

    private static (KeyValuePair<string, Tensor>[] Tensors, string Message)[] BadLists()
    {
        var t = Tensor.FromValues(1f);
        return
        [
            ([new("a", t), new("b", t), new("a", t)], "The name 'a' is given to two tensors"),
            ([new("a", t), new("__metadata__", t)], "Tensor 1 is named '__metadata__', which the format reserves"),
            ([new("", t)], "Tensor 0 has an empty name"),
            ([new("a", t), new(null!, t)], "Tensor 1 has a null name"),
            ([new("bad\ud800name", t)], "holds a lone surrogate"),
            ([new("a", t), new("b", null!)], "Tensor 'b' is null"),
        ];
    }

    /// <summary>A file from a header (UTF-8, length prefix computed) and <paramref name="dataLength"/> zero bytes.</summary>
    private static byte[] Build(string header, int dataLength) => Build(header, new byte[dataLength]);

    private static byte[] Build(string header, byte[] data)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        return [.. Le(json.LongLength), .. json, .. data];
    }

    private static byte[] Le(long value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        return bytes;
    }

    private static uint[] Bits(Tensor tensor) => tensor.ToArray().Select(BitConverter.SingleToUInt32Bits).ToArray();

    private static string HeaderText(byte[] file) =>
        Encoding.UTF8.GetString(file, 8, (int)BinaryPrimitives.ReadUInt64LittleEndian(file));

    private static string Utf8Hex(string text) => Convert.ToHexStringLower(Encoding.UTF8.GetBytes(text));

    private static string RunReferenceReader(string path)
    {
        string script = Path.Combine(TestData.RepositoryRoot, "bench", "reference", "make_safetensors_fixtures.py");
        using var process = Process.Start(new ProcessStartInfo(PythonNumpyFactAttribute.Python, [script, "--check", path])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
        })!;
        var stderr = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(60_000), "the reference reader did not finish within a minute");
        Assert.True(process.ExitCode == 0, $"the reference reader refused the file: {stderr.Result}");
        return output;
    }

    /// <summary>Loads the bytes; true when they load (and the result is consistent), false when refused properly.</summary>
    private static bool LoadsOrRefuses(byte[] data, string what)
    {
        try
        {
            var file = SafeTensors.Load(data, "fuzz.safetensors");
            long elements = 0;
            foreach (var tensor in file.Tensors.Values)
            {
                long product = 1;
                foreach (int dim in tensor.Shape)
                {
                    product *= dim;
                }

                Assert.Equal(product, tensor.Length);
                elements += product;
            }

            Assert.True(elements <= data.Length, $"{what}: {elements} elements from {data.Length} bytes");
            return true;
        }
        catch (InvalidDataException e)
        {
            Assert.StartsWith("fuzz.safetensors: ", e.Message);
            Assert.DoesNotContain('\n', e.Message);
            return false;
        }
        catch (Exception e)
        {
            Assert.Fail($"{what}: expected InvalidDataException, got {e}");
            throw;
        }
    }

    /// <summary>
    /// One to four random edits: most land in the length prefix or the JSON header, where the structure is; some in
    /// the data, and some cut, insert or delete bytes so that the header length and the offsets stop agreeing.
    /// </summary>
    private static byte[] Mutate(byte[] original, Random random)
    {
        var bytes = new List<byte>(original);
        int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(original);
        int edits = random.Next(1, 5);
        for (int e = 0; e < edits && bytes.Count > 0; e++)
        {
            int at = random.Next(5) == 0 ? random.Next(bytes.Count) : random.Next(Math.Min(bytes.Count, headerEnd));
            switch (random.Next(8))
            {
                case 0: bytes[at] = (byte)random.Next(256); break;
                case 1:
                case 2: bytes[at] = Interesting[random.Next(Interesting.Length)]; break;
                case 3: bytes.Insert(at, Interesting[random.Next(Interesting.Length)]); break;
                case 4: bytes.RemoveAt(at); break;
                case 5: bytes.RemoveRange(at, bytes.Count - at); break;
                case 6: ReplaceNumber(bytes, at, random); break;
                default: OverwriteLength(bytes, random); break;
            }
        }

        return [.. bytes];
    }

    private static readonly byte[] Interesting =
        [.. "0123456789-.e\"\\{}[],: "u8, 0x00, 0x7F, 0x80, 0xC3, 0xED, 0xFF];

    /// <summary>Replaces the digits around <paramref name="at"/> with a suspicious number, as a lying header would.</summary>
    private static void ReplaceNumber(List<byte> bytes, int at, Random random)
    {
        string[] numbers = ["0", "1", "3", "7", "8", "2147483647", "2147483648", "4294967296", "18446744073709551615", "99999999999999999999", "-1", "1e3"];
        int start = at, end = at;
        while (start > 0 && char.IsAsciiDigit((char)bytes[start - 1]))
        {
            start--;
        }

        while (end < bytes.Count && char.IsAsciiDigit((char)bytes[end]))
        {
            end++;
        }

        bytes.RemoveRange(start, end - start);
        bytes.InsertRange(start, Encoding.ASCII.GetBytes(numbers[random.Next(numbers.Length)]));
    }

    /// <summary>Overwrites the 8-byte header length with a value near a boundary.</summary>
    private static void OverwriteLength(List<byte> bytes, Random random)
    {
        int actual = bytes.Count >= 8 ? (int)Math.Min(int.MaxValue, BinaryPrimitives.ReadUInt64LittleEndian(CollectionsMarshal.AsSpan(bytes))) : 0;
        ulong[] values = [0, 1, 2, (ulong)actual - 1, (ulong)actual + 1, (ulong)bytes.Count, 100_000_000, 100_000_001, ulong.MaxValue, 1UL << 63, (ulong)random.Next()];
        ulong value = values[random.Next(values.Length)];
        for (int i = 0; i < 8 && i < bytes.Count; i++)
        {
            bytes[i] = (byte)(value >> (8 * i));
        }
    }

    /// <summary>A file written by the script's implementation of the specification, and what it holds.</summary>
    private sealed record Fixture(string Name, string Base64, ExpectedTensor[] Tensors, KeyValuePair<string, string>[] Metadata)
    {
        public byte[] Bytes => Convert.FromBase64String(Base64);
    }

    /// <summary>One tensor: name, stored dtype, shape, and its values as float32 bit patterns (numpy's astype).</summary>
    private sealed record ExpectedTensor(string Name, string DType, int[] Shape, uint[] Bits);

    // <generated by bench/reference/make_safetensors_fixtures.py>
    // numpy 1.24.2, Python 3.11.2. Do not edit by hand: change the script and run
    // `/usr/bin/python3 bench/reference/make_safetensors_fixtures.py --update`.

    /// <summary>Float32 only, written as the reference writer does; SafeTensors.Save must produce these exact bytes.</summary>
    private static readonly Fixture ReferenceF32 = new(
        "reference_f32",
        """
            eAEAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJmb3JtYXQiOiJwdCIsIm5vdGUiOiJEZWVwU2NyYXRjaCBmaXh0dXJlIOKckyJ9LCJj
            b252MS5XIjp7ImR0eXBlIjoiRjMyIiwic2hhcGUiOlsyLDEsMiwyXSwiZGF0YV9vZmZzZXRzIjpbMCwzMl19LCJjb252MS5iIjp7
            ImR0eXBlIjoiRjMyIiwic2hhcGUiOlsyXSwiZGF0YV9vZmZzZXRzIjpbMzIsNDBdfSwic2NhbGUiOnsiZHR5cGUiOiJGMzIiLCJz
            aGFwZSI6W10sImRhdGFfb2Zmc2V0cyI6WzQwLDQ0XX0sImVtcHR5Ijp7ImR0eXBlIjoiRjMyIiwic2hhcGUiOlswLDNdLCJkYXRh
            X29mZnNldHMiOls0NCw0NF19LCLlkI3liY0vw6kiOnsiZHR5cGUiOiJGMzIiLCJzaGFwZSI6WzNdLCJkYXRhX29mZnNldHMiOls0
            NCw1Nl19fSAgAACAvwAAQL8AAAC/AACAvgAAAAAAAIA+AAAAPwAAQD8AAAA/AAAAvgAAQEABAAAAAAAAgP//f38=
            """,
        [
            new("conv1.W", "F32", [2, 1, 2, 2], [0xBF800000u, 0xBF400000u, 0xBF000000u, 0xBE800000u, 0x00000000u, 0x3E800000u, 0x3F000000u, 0x3F400000u]),
            new("conv1.b", "F32", [2], [0x3F000000u, 0xBE000000u]),
            new("scale", "F32", [], [0x40400000u]),
            new("empty", "F32", [0, 3], []),
            new("\u540D\u524D/\u00E9", "F32", [3], [0x00000001u, 0x80000000u, 0x7F7FFFFFu]),
        ],
        [new("format", "pt"), new("note", "DeepScratch fixture \u2713")]);

    /// <summary>Every dtype the loader converts, with edge values (rounding, subnormals, infinities, NaN, -0.0).</summary>
    private static readonly Fixture AllDtypes = new(
        "all_dtypes",
        """
            MAIAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJmb3JtYXQiOiJucCJ9LCJmNjQiOnsiZHR5cGUiOiJGNjQiLCJzaGFwZSI6WzZdLCJk
            YXRhX29mZnNldHMiOlswLDQ4XX0sImk2NCI6eyJkdHlwZSI6Ikk2NCIsInNoYXBlIjpbNF0sImRhdGFfb2Zmc2V0cyI6WzQ4LDgw
            XX0sImYzMiI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbNV0sImRhdGFfb2Zmc2V0cyI6WzgwLDEwMF19LCJpMzIiOnsiZHR5cGUi
            OiJJMzIiLCJzaGFwZSI6WzNdLCJkYXRhX29mZnNldHMiOlsxMDAsMTEyXX0sImJmMTYiOnsiZHR5cGUiOiJCRjE2Iiwic2hhcGUi
            Ols1XSwiZGF0YV9vZmZzZXRzIjpbMTEyLDEyMl19LCJmMTYiOnsiZHR5cGUiOiJGMTYiLCJzaGFwZSI6WzddLCJkYXRhX29mZnNl
            dHMiOlsxMjIsMTM2XX0sImkxNiI6eyJkdHlwZSI6IkkxNiIsInNoYXBlIjpbMiwyXSwiZGF0YV9vZmZzZXRzIjpbMTM2LDE0NF19
            LCJpOCI6eyJkdHlwZSI6Ikk4Iiwic2hhcGUiOlszXSwiZGF0YV9vZmZzZXRzIjpbMTQ0LDE0N119LCJ1OCI6eyJkdHlwZSI6IlU4
            Iiwic2hhcGUiOlszLDFdLCJkYXRhX29mZnNldHMiOlsxNDcsMTUwXX19IJqZmZmZmbk/nHUAiDzkN/4fuNRKeu6NNRgtRFT7IQlA
            AAAAAAAAAIAAAAAAAACgNgAAAAAAAACAAQAAAAAAIAD/////////f/n///////////9/fwAAgIDNzMw9AQAAAAAAwH8AAACAAQAA
            Af///3+AP0nAf38BAACAADiAwP97AAQBAACAAHwAgDkw/3///4AAfwCA/w==
            """,
        [
            new("f64", "F64", [6], [0x3DCCCCCDu, 0xFF800000u, 0x00000000u, 0x40490FDBu, 0x80000000u, 0x00000001u]),
            new("i64", "I64", [4], [0xDF000000u, 0x5A000000u, 0x5F000000u, 0xC0E00000u]),
            new("f32", "F32", [5], [0x7F7FFFFFu, 0x80800000u, 0x3DCCCCCDu, 0x00000001u, 0x7FC00000u]),
            new("i32", "I32", [3], [0xCF000000u, 0x4B800000u, 0x4F000000u]),
            new("bf16", "BF16", [5], [0x3F800000u, 0xC0490000u, 0x7F7F0000u, 0x00010000u, 0x80000000u]),
            new("f16", "F16", [7], [0x3F000000u, 0xC0100000u, 0x477FE000u, 0x38800000u, 0x33800000u, 0x80000000u, 0x7F800000u]),
            new("i16", "I16", [2, 2], [0xC7000000u, 0x4640E400u, 0x46FFFE00u, 0xBF800000u]),
            new("i8", "I8", [3], [0xC3000000u, 0x00000000u, 0x42FE0000u]),
            new("u8", "U8", [3, 1], [0x00000000u, 0x43000000u, 0x437F0000u]),
        ],
        [new("format", "np")]);

    /// <summary>Another writer's style: spaced JSON, \u escapes, keys out of offset order, unaligned space padding.</summary>
    private static readonly Fixture ForeignStyle = new(
        "foreign_style",
        """
            HwEAAAAAAAB7InRlbXBlcmF0dXJlIjogeyJkdHlwZSI6ICJGMzIiLCAic2hhcGUiOiBbXSwgImRhdGFfb2Zmc2V0cyI6IFsyNCwg
            MjhdfSwgImNhZlx1MDBlOSI6IHsiZHR5cGUiOiAiRjY0IiwgInNoYXBlIjogWzJdLCAiZGF0YV9vZmZzZXRzIjogWzI4LCA0NF19
            LCAidyI6IHsiZHR5cGUiOiAiRjMyIiwgInNoYXBlIjogWzIsIDNdLCAiZGF0YV9vZmZzZXRzIjogWzAsIDI0XX0sICJiaWFzIjog
            eyJkdHlwZSI6ICJGMzIiLCAic2hhcGUiOiBbMF0sICJkYXRhX29mZnNldHMiOiBbMjQsIDI0XX19ICAgICAgICAgICAgIAAAwD8A
            ABDAAABAQAAAgEAAALBAAADYwAAAQD8AAAAAAADwPwAAAAAAAADA
            """,
        [
            new("temperature", "F32", [], [0x3F400000u]),
            new("caf\u00E9", "F64", [2], [0x3F800000u, 0xC0000000u]),
            new("w", "F32", [2, 3], [0x3FC00000u, 0xC0100000u, 0x40400000u, 0x40800000u, 0x40B00000u, 0xC0D80000u]),
            new("bias", "F32", [0], []),
        ],
        []);

    private static readonly Fixture[] AllFixtures = [ReferenceF32, AllDtypes, ForeignStyle];
    // </generated>

    [Fact]
    public void A_safetensors_file_over_2_GiB_is_refused_without_being_read()
    {
        using var file = new SparseFile(".safetensors", WholeFile.MaxBytes + 1);

        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(file.Path));

        Assert.StartsWith(file.Path + ": ", e.Message);
        Assert.EndsWith("; files over 2 GiB are refused: save the tensors in several files.", e.Message);
    }
}
