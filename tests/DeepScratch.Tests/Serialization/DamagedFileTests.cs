using System.Buffers.Binary;
using DeepScratch.Serialization;

namespace DeepScratch.Tests.Serialization;

/// <summary>
/// Issue 7 items 5 and 12: a pickle copied in text mode (every LF became CR LF) is reported as that damage, not as a
/// hostile file; legal empty shapes that cannot become a tensor get one clear line, never an internal error.
/// </summary>
public class DamagedFileTests
{
    private const string CrLf = "damaged by a text-mode copy (CR LF line endings: every LF byte became CR LF): copy it in binary mode";

    [Fact]
    public void The_books_pickle_copied_in_text_mode_is_reported_as_damaged_not_hostile()
    {
        byte[] original = File.ReadAllBytes(TestData.Weights("sample_weight.pkl"));
        byte[] damaged = ToCrLf(original);

        var e = Assert.Throws<InvalidDataException>(() => NumpyPickle.Load(damaged, "sample_weight.pkl"));

        Assert.StartsWith("sample_weight.pkl: the allowed global 'numpy.core.multiarray\\r._reconstruct\\r' is damaged at byte ", e.Message);
        Assert.EndsWith(CrLf + ".", e.Message);
        Assert.DoesNotContain("run code", e.Message);
    }

    [Fact]
    public void A_damaged_allowed_name_is_damage_even_when_the_rest_of_the_file_has_bare_line_feeds()
    {
        byte[] pickle = new PickleBuilder().Proto(2).Global("numpy.core.multiarray\r", "_reconstruct").Stop().ToArray();
        byte[] spaced = new PickleBuilder().Proto(2).Global("numpy", "dtype  ").Stop().ToArray();

        var crlf = Assert.Throws<InvalidDataException>(() => NumpyPickle.Load(pickle, "w.pkl"));
        var spaces = Assert.Throws<InvalidDataException>(() => NumpyPickle.Load(spaced, "w.pkl"));

        Assert.Equal($"w.pkl: the allowed global 'numpy.core.multiarray\\r._reconstruct' is damaged at byte 2: the file was {CrLf}.", crlf.Message);
        Assert.Equal("w.pkl: the allowed global 'numpy.dtype  ' is damaged at byte 2: its name has stray spaces; the file was altered by a text tool: save or copy it again in binary mode.", spaces.Message);
    }

    [Fact]
    public void A_name_that_only_resembles_an_allowed_one_is_still_refused_as_foreign()
    {
        byte[] pickle = new PickleBuilder().Proto(2).Global("os\r", "system").Stop().ToArray();

        var e = Assert.Throws<InvalidDataException>(() => NumpyPickle.Load(pickle, "w.pkl"));

        Assert.Contains("refused global 'os\\r.system'", e.Message);
        Assert.Contains("may try to run code", e.Message);
    }

    [Fact]
    public void A_protocol_4_pickle_whose_array_bytes_grew_in_a_text_mode_copy_names_the_copy()
    {
        // Protocol 4 writes no text lines, so only the array bytes hold LF (0x0A) bytes: 10.0f is 00 00 20 41 and
        // 2.3694e-38f is 0a 0a 01 01 (little endian). A text-mode copy lengthens the data, so the counts stop matching.
        var values = new[] { BitConverter.Int32BitsToSingle(0x01010a0a), 10f, BitConverter.Int32BitsToSingle(0x0a000000) };
        byte[] pickle = new PickleBuilder().Proto(4).Op(PickleOpcode.EMPTY_DICT).Str("W1")
            .StackGlobal("numpy.core.numeric", "_frombuffer").Mark().Bytes(PickleBuilder.Float32Bytes(values))
            .StackGlobal("numpy", "dtype").Str("f4").Bool(false).Bool(true).Op(PickleOpcode.TUPLE3).Op(PickleOpcode.REDUCE)
            .Mark().Int(3).Str("<").None().None().None().Int(-1).Int(-1).Int(0).Op(PickleOpcode.TUPLE).Op(PickleOpcode.BUILD)
            .Shape(3).Str("C").Op(PickleOpcode.TUPLE).Op(PickleOpcode.REDUCE).Op(PickleOpcode.SETITEM).Stop().ToArray();
        Assert.Equal(values, Assert.Single(NumpyPickle.Load(pickle, "ok.pkl")).Tensor.ToArray()); // undamaged, it loads

        var e = Assert.Throws<InvalidDataException>(() => NumpyPickle.Load(ToCrLf(pickle), "w.pkl"));

        Assert.EndsWith("the file was " + CrLf + ".", e.Message);
    }

    [Fact]
    public void A_safetensors_file_copied_in_text_mode_names_the_copy()
    {
        // 10.0f is 00 00 20 41; 0x0a0a0101 holds two LF bytes. The copy adds two bytes the header does not know of.
        var values = new[] { BitConverter.Int32BitsToSingle(0x01010a0a), 10f };
        byte[] json = System.Text.Encoding.UTF8.GetBytes("""{"W1":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""");
        var prefix = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(prefix, json.Length);
        byte[] file = [.. prefix, .. json, .. PickleBuilder.Float32Bytes(values)];
        Assert.Equal(values, SafeTensors.Load(file, "ok.safetensors").Tensors["W1"].ToArray());

        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(ToCrLf(file), "w.safetensors"));

        Assert.Equal(
            "w.safetensors: the tensors end at byte 8 of the data but 10 bytes follow the header: the file is damaged or is not a "
            + "safetensors file; the file was " + CrLf + ".",
            e.Message);
    }

    [Fact]
    public void A_file_with_bare_line_feeds_is_not_blamed_on_a_text_mode_copy()
    {
        Assert.False(FileIdentity.LooksCrLfDamaged("a\r\nb\nc"u8));
        Assert.False(FileIdentity.LooksCrLfDamaged("no line feed at all"u8));
        Assert.True(FileIdentity.LooksCrLfDamaged("a\r\nb\r\n"u8));
        Assert.False(FileIdentity.LooksCrLfDamaged("\n"u8));
    }

    [Theory]
    [InlineData(new[] { 65536, 65536, 0 })]
    [InlineData(new[] { 70000, 70000, 0, 3 })]
    public void An_empty_array_whose_leading_dimensions_overflow_one_array_is_refused_clearly(int[] shape)
    {
        byte[] pickle = new PickleBuilder().Proto(2).Op(PickleOpcode.EMPTY_DICT).Str("W1").NdArray(shape, "f4", [])
            .Op(PickleOpcode.SETITEM).Stop().ToArray();
        string shapeText = "(" + string.Join(", ", shape) + ")";

        var e = Assert.Throws<InvalidDataException>(() => NumpyPickle.Load(pickle, "w.pkl"));
        var s = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(SafeTensorsWithShape(shape, 0), "w.safetensors"));

        Assert.StartsWith($"w.pkl: an empty array of shape {shapeText}: the dimensions before its 0 multiply to more elements than one array can hold at byte ", e.Message);
        Assert.EndsWith("such an empty array cannot be loaded; save it with a smaller shape or leave it out.", e.Message);
        Assert.Equal($"w.safetensors: tensor 'W1' is an empty array of shape {shapeText}: the dimensions before its 0 multiply to more elements than one array can hold: such an empty array cannot be loaded; save it with a smaller shape or leave it out.", s.Message);
    }

    [Theory]
    [InlineData(new[] { 0, 65536, 65536 })]
    [InlineData(new[] { 3, 0 })]
    [InlineData(new[] { 0 })]
    [InlineData(new[] { 46341, 46341, 0 })] // 46341^2 = 2147488281, just past Array.MaxLength (2147483591): refused
    public void Empty_arrays_that_a_tensor_can_hold_load_empty_with_their_shape(int[] shape)
    {
        bool representable = shape.TakeWhile(d => d != 0).Aggregate(1L, (p, d) => p * d) <= Array.MaxLength;
        byte[] pickle = new PickleBuilder().Proto(2).Op(PickleOpcode.EMPTY_DICT).Str("b").NdArray(shape, "f4", [])
            .Op(PickleOpcode.SETITEM).Stop().ToArray();

        if (!representable)
        {
            Assert.Throws<InvalidDataException>(() => NumpyPickle.Load(pickle, "w.pkl"));
            return;
        }

        var array = Assert.Single(NumpyPickle.Load(pickle, "w.pkl"));
        var tensor = SafeTensors.Load(SafeTensorsWithShape(shape, 0), "w.safetensors").Tensors["W1"];
        Assert.Equal(shape, array.Shape);
        Assert.Equal(shape, array.Tensor.Shape.ToArray());
        Assert.Equal(0, array.Tensor.Length);
        Assert.Equal(shape, tensor.Shape.ToArray());
        Assert.Equal(0, tensor.Length);
    }

    private static byte[] SafeTensorsWithShape(int[] shape, int bytes)
    {
        byte[] json = System.Text.Encoding.UTF8.GetBytes(
            $"{{\"W1\":{{\"dtype\":\"F32\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[0,{bytes}]}}}}");
        var prefix = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(prefix, json.Length);
        return [.. prefix, .. json, .. new byte[bytes]];
    }

    /// <summary>What a text-mode copy does: every LF byte becomes CR LF (a CR already before an LF stays single).</summary>
    private static byte[] ToCrLf(byte[] bytes)
    {
        var result = new List<byte>(bytes.Length + 1024);
        for (int i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == (byte)'\n' && (i == 0 || bytes[i - 1] != (byte)'\r'))
            {
                result.Add((byte)'\r');
            }

            result.Add(bytes[i]);
        }

        return [.. result];
    }
}
