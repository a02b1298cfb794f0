using System.Text;
using DeepScratch.Serialization;

namespace DeepScratch.Tests.Serialization;

/// <summary>
/// Pickles that try to run code, exhaust memory or confuse the reader. Each must be refused with a one-line
/// <see cref="InvalidDataException"/> that names the file and says what is wrong.
/// </summary>
public class HostilePickleTests
{
    private const string Source = "hostile.pkl";

    [Theory]
    [InlineData("os", "system")]
    [InlineData("posix", "system")]
    [InlineData("nt", "system")]
    [InlineData("subprocess", "Popen")]
    [InlineData("builtins", "eval")]
    [InlineData("builtins", "exec")]
    [InlineData("builtins", "getattr")]
    [InlineData("__builtin__", "eval")]
    [InlineData("numpy", "load")]
    [InlineData("numpy.testing._private.utils", "runstring")]
    [InlineData("numpy.core.multiarray", "ndarray")]
    [InlineData("torch._utils", "_rebuild_tensor_v2")]
    public void A_global_outside_the_numpy_allow_list_is_refused_where_it_is_named(string module, string name)
    {
        byte[] viaGlobal = new PickleBuilder().Proto(2).Global(module, name).Str("echo pwned").Op(PickleOpcode.TUPLE1)
            .Op(PickleOpcode.REDUCE).Stop().ToArray();
        var viaStackGlobal = new PickleBuilder().Proto(4).Str(module).Str(name);
        int stackGlobalOffset = viaStackGlobal.Length;
        byte[] stackGlobal = viaStackGlobal.Op(PickleOpcode.STACK_GLOBAL).Str("1+1").Op(PickleOpcode.TUPLE1)
            .Op(PickleOpcode.REDUCE).Stop().ToArray();

        AssertRefused(viaGlobal, $"refused global '{module}.{name}' at byte 2", "may try to run code");
        AssertRefused(stackGlobal, $"refused global '{module}.{name}' at byte {stackGlobalOffset}", "only numpy arrays");
    }

    [Fact]
    public void The_refusal_message_reads_as_one_line_naming_the_file_and_the_global()
    {
        byte[] pickle = new PickleBuilder().Proto(2).Global("os", "system").Str("rm -rf /").Op(PickleOpcode.TUPLE1)
            .Op(PickleOpcode.REDUCE).Stop().ToArray();

        var e = Assert.Throws<InvalidDataException>(() => NumpyPickle.Load(pickle, "sample.pkl"));

        Assert.Equal(
            "sample.pkl: refused global 'os.system' at byte 2: only numpy arrays are loaded from pickles; this file may try to run code.",
            e.Message);
    }

    [Fact]
    public void A_global_name_full_of_control_characters_is_quoted_safely()
    {
        byte[] pickle = new PickleBuilder().Proto(4).Str("os\r\n\u001b[2J").Str(new string('x', 500))
            .Op(PickleOpcode.STACK_GLOBAL).Stop().ToArray();

        string message = AssertRefused(pickle, @"refused global 'os\r\n\x1b[2J.xxx", "...'");

        Assert.True(message.Length < 300, message);
    }

    [Fact]
    public void A_BINBYTES8_length_of_2_to_the_62_is_refused_before_allocating()
    {
        byte[] pickle = new PickleBuilder().Proto(4).Op(PickleOpcode.BINBYTES8).UInt64(1UL << 62).Raw(1, 2, 3).Stop().ToArray();

        AssertRefused(pickle, "BINBYTES8 declares 4611686018427387904 bytes but only 4 remain", "truncated");
    }

    [Fact]
    public void A_shape_claiming_a_trillion_elements_with_16_bytes_of_data_is_refused()
    {
        byte[] pickle = new PickleBuilder().Proto(3).NdArray([1_000_000, 1_000_000], "f4", new byte[16]).Stop().ToArray();

        AssertRefused(pickle, "shape (1000000, 1000000)", "4000000000000 bytes", "holds 16 bytes");
    }

    [Fact]
    public void A_shape_whose_size_wraps_around_64_bits_is_refused()
    {
        // 65536^4 * 4 bytes = 2^66, which is 0 in wrapping 64-bit arithmetic: it must not pass for an empty array.
        byte[] pickle = new PickleBuilder().Proto(3).NdArray([65536, 65536, 65536, 65536], "f4", []).Stop().ToArray();

        AssertRefused(pickle, "shape (65536, 65536, 65536, 65536)", "more than 2^63 bytes");
    }

    [Fact]
    public void A_negative_dimension_is_refused()
    {
        byte[] pickle = new PickleBuilder().Proto(3).NdArray([-1, 4], "f4", new byte[16]).Stop().ToArray();

        AssertRefused(pickle, "dimension 0 of the ndarray shape is -1");
    }

    [Fact]
    public void An_unknown_opcode_is_named_with_its_byte_and_offset()
    {
        byte[] pickle = new PickleBuilder().Proto(2).Op(PickleOpcode.EMPTY_DICT).Raw(0xff).Stop().ToArray();

        AssertRefused(pickle, "unknown opcode 0xff at byte 3", "not a pickle");
    }

    [Theory]
    [InlineData(0x81, "refused opcode NEWOBJ (0x81)")]
    [InlineData(0x69, "refused opcode INST (0x69)")]
    [InlineData(0x51, "refused opcode BINPERSID (0x51)")]
    [InlineData(0x8f, "unsupported opcode EMPTY_SET (0x8f)")]
    [InlineData(0x49, "unsupported opcode INT (0x49)")]
    public void Opcodes_that_numpy_weights_never_need_are_named_and_refused(byte opcode, string expected)
    {
        byte[] pickle = new PickleBuilder().Proto(2).Raw(opcode).Stop().ToArray();

        AssertRefused(pickle, expected + " at byte 2");
    }

    [Fact]
    public void A_pickle_without_STOP_is_reported_as_truncated()
    {
        byte[] pickle = new PickleBuilder().Proto(3).NdArray([2], "f4", PickleBuilder.Float32Bytes(1, 2)).ToArray();

        AssertRefused(pickle, $"missing STOP opcode at byte {pickle.Length}", "truncated");
    }

    [Fact]
    public void An_object_dtype_is_refused_because_it_holds_python_objects()
    {
        byte[] pickle = new PickleBuilder().Proto(3).NdArray([1], "O8", new byte[8]).Stop().ToArray();

        AssertRefused(pickle, "object dtype 'O8' is refused", "run code");
    }

    [Fact]
    public void Object_array_data_given_as_a_list_is_refused()
    {
        byte[] pickle = new PickleBuilder().Proto(3)
            .Global("numpy.core.multiarray", "_reconstruct").Global("numpy", "ndarray").Shape(0).Bytes("b"u8.ToArray())
            .Op(PickleOpcode.TUPLE3).Op(PickleOpcode.REDUCE)
            .Mark().Int(1).Shape(1).DType("f8").Bool(false).Op(PickleOpcode.EMPTY_LIST).Op(PickleOpcode.TUPLE).Op(PickleOpcode.BUILD)
            .Stop().ToArray();

        AssertRefused(pickle, "list of Python objects", "object array");
    }

    [Fact]
    public void A_structured_dtype_is_refused()
    {
        byte[] pickle = new PickleBuilder().Proto(3).Global("numpy", "dtype").Str("f4").Op(PickleOpcode.TUPLE1).Op(PickleOpcode.REDUCE)
            .Mark().Int(3).Str("<").None().Mark().Str("x").Op(PickleOpcode.TUPLE).Op(PickleOpcode.EMPTY_DICT)
            .Int(4).Int(1).Int(16).Op(PickleOpcode.TUPLE).Op(PickleOpcode.BUILD).Stop().ToArray();

        AssertRefused(pickle, "structured");
    }

    [Theory]
    [InlineData("c16", "dtype 'c16' is not supported")]
    [InlineData("U5", "dtype 'U5' is not supported")]
    [InlineData("V8", "structured dtype 'V8'")]
    [InlineData("f16", "dtype 'f16' is not supported")]
    [InlineData("float32", "not a numpy type code")]
    public void Dtypes_that_cannot_become_float32_are_refused_by_name(string code, string expected)
    {
        byte[] pickle = new PickleBuilder().Proto(3).NdArray([1], code, new byte[16]).Stop().ToArray();

        AssertRefused(pickle, expected);
    }

    [Fact]
    public void Reading_a_memo_entry_that_was_never_stored_is_refused()
    {
        byte[] pickle = new PickleBuilder().Proto(2).Op(PickleOpcode.BINGET).Raw(7).Stop().ToArray();

        AssertRefused(pickle, "BINGET reads memo entry 7, which was never stored at byte 2");
    }

    [Fact]
    public void A_huge_memo_index_allocates_nothing_and_is_simply_missing()
    {
        byte[] pickle = new PickleBuilder().Proto(2).None().Op(PickleOpcode.LONG_BINPUT).UInt32(uint.MaxValue)
            .Op(PickleOpcode.LONG_BINGET).UInt32(uint.MaxValue - 1).Stop().ToArray();

        AssertRefused(pickle, "memo entry 4294967294, which was never stored");
    }

    [Fact]
    public void Out_of_band_buffers_are_refused_with_advice_to_save_in_band()
    {
        byte[] pickle = new PickleBuilder().Proto(5).Op(PickleOpcode.NEXT_BUFFER).Stop().ToArray();

        AssertRefused(pickle, "out-of-band buffer (NEXT_BUFFER)", "buffer_callback");
    }

    [Fact]
    public void A_protocol_newer_than_5_is_refused()
    {
        AssertRefused([0x80, 6, (byte)'N', (byte)'.'], "pickle protocol 6 is newer", "protocol 4 or 5");
    }

    [Fact]
    public void Codecs_encode_only_accepts_latin1()
    {
        byte[] pickle = new PickleBuilder().Proto(2).Global("_codecs", "encode").Str("abc").Str("utf-8")
            .Op(PickleOpcode.TUPLE2).Op(PickleOpcode.REDUCE).Stop().ToArray();

        AssertRefused(pickle, "encoding 'utf-8' is refused");
    }

    [Fact]
    public void Calling_ndarray_directly_is_refused()
    {
        byte[] pickle = new PickleBuilder().Proto(2).Global("numpy", "ndarray").Shape(2).Op(PickleOpcode.TUPLE1)
            .Op(PickleOpcode.REDUCE).Stop().ToArray();

        AssertRefused(pickle, "numpy.ndarray cannot be called on its own");
    }

    [Fact]
    public void A_value_that_is_not_an_array_is_named_by_its_key()
    {
        byte[] pickle = new PickleBuilder().Proto(2).Op(PickleOpcode.EMPTY_DICT).Mark()
            .Str("W1").NdArray([1], "f4", PickleBuilder.Float32Bytes(1))
            .Str("learning_rate").Op(PickleOpcode.BINFLOAT).Raw(0x3f, 0x84, 0x7a, 0xe1, 0x47, 0xae, 0x14, 0x7b)
            .Op(PickleOpcode.SETITEMS).Stop().ToArray();

        AssertRefused(pickle, "'learning_rate' is a float, not a numpy array");
    }

    [Fact]
    public void An_array_that_never_gets_its_BUILD_is_refused()
    {
        byte[] pickle = new PickleBuilder().Proto(2)
            .Global("numpy.core.multiarray", "_reconstruct").Global("numpy", "ndarray").Shape(0).Bytes("b"u8.ToArray())
            .Op(PickleOpcode.TUPLE3).Op(PickleOpcode.REDUCE).Op(PickleOpcode.TUPLE1).Stop().ToArray();

        AssertRefused(pickle, "'0' is an unfinished numpy array (no BUILD)");
    }

    [Fact]
    public void A_pickle_of_a_plain_int_is_refused()
    {
        AssertRefused([0x80, 2, (byte)'K', 5, (byte)'.'], "the pickle holds an int, not numpy arrays");
    }

    [Fact]
    public void Two_arrays_with_the_same_dotted_name_are_refused()
    {
        byte[] pickle = new PickleBuilder().Proto(2).Op(PickleOpcode.EMPTY_DICT).Mark()
            .Str("a.b").NdArray([1], "f4", PickleBuilder.Float32Bytes(1))
            .Str("a").Op(PickleOpcode.EMPTY_DICT).Str("b").NdArray([1], "f4", PickleBuilder.Float32Bytes(2)).Op(PickleOpcode.SETITEM)
            .Op(PickleOpcode.SETITEMS).Stop().ToArray();

        AssertRefused(pickle, "two arrays are both named 'a.b'");
    }

    [Fact]
    public void A_list_that_contains_itself_is_refused_instead_of_recursing_forever()
    {
        byte[] pickle = new PickleBuilder().Proto(2).Op(PickleOpcode.EMPTY_LIST).Op(PickleOpcode.BINPUT).Raw(0)
            .Op(PickleOpcode.BINGET).Raw(0).Op(PickleOpcode.APPEND).Stop().ToArray();

        AssertRefused(pickle, "nested more than 32 levels deep (or contains itself)");
    }

    [Fact]
    public void Shared_lists_cannot_multiply_the_walk_exponentially()
    {
        // L0 = [array]; L(k+1) = [Lk, Lk]: 30 levels name 2^30 arrays from a file of a few hundred bytes.
        var builder = new PickleBuilder().Proto(2).Op(PickleOpcode.EMPTY_LIST)
            .NdArray([1], "f4", PickleBuilder.Float32Bytes(1)).Op(PickleOpcode.APPEND)
            .Op(PickleOpcode.BINPUT).Raw(0);
        for (byte level = 1; level <= 30; level++)
        {
            builder.Op(PickleOpcode.EMPTY_LIST).Mark().Op(PickleOpcode.BINGET).Raw((byte)(level - 1))
                .Op(PickleOpcode.DUP).Op(PickleOpcode.APPENDS).Op(PickleOpcode.BINPUT).Raw(level);
        }

        AssertRefused(builder.Stop().ToArray(), $"more than {NamedArrays.MaxEntries} entries");
    }

    [Fact]
    public void Flooding_the_stack_is_refused()
    {
        var builder = new PickleBuilder().Proto(2).None();
        builder.Raw(Enumerable.Repeat((byte)PickleOpcode.DUP, PickleReader.MaxStackDepth).ToArray());

        AssertRefused(builder.Stop().ToArray(), $"more than {PickleReader.MaxStackDepth} values on the stack");
    }

    [Fact]
    public void Opening_marks_without_end_is_refused()
    {
        var builder = new PickleBuilder().Proto(2);
        builder.Raw(Enumerable.Repeat((byte)PickleOpcode.MARK, PickleReader.MaxMarks + 1).ToArray());

        AssertRefused(builder.Stop().ToArray(), $"more than {PickleReader.MaxMarks} open marks");
    }

    [Fact]
    public void Decoding_the_same_memoized_data_over_and_over_is_refused()
    {
        // 256 KiB of data, then 64 calls of _frombuffer on it: 16 MiB of floats from a file of about 260 KB.
        var builder = new PickleBuilder().Proto(5).Op(PickleOpcode.EMPTY_LIST)
            .Bytes(new byte[256 * 1024]).Op(PickleOpcode.BINPUT).Raw(0).Op(PickleOpcode.POP)
            .DType("f4").Op(PickleOpcode.BINPUT).Raw(1).Op(PickleOpcode.POP)
            .StackGlobal("numpy.core.numeric", "_frombuffer").Op(PickleOpcode.BINPUT).Raw(2).Op(PickleOpcode.POP);
        for (int i = 0; i < 64; i++)
        {
            builder.Op(PickleOpcode.BINGET).Raw(2).Mark().Op(PickleOpcode.BINGET).Raw(0).Op(PickleOpcode.BINGET).Raw(1)
                .Shape(64 * 1024).Str("C").Op(PickleOpcode.TUPLE).Op(PickleOpcode.REDUCE).Op(PickleOpcode.APPEND);
        }

        AssertRefused(builder.Stop().ToArray(), "bytes of memory", "exhaust memory");
    }

    [Fact]
    public void Invalid_utf8_in_a_string_is_refused()
    {
        byte[] pickle = new PickleBuilder().Proto(4).Op(PickleOpcode.SHORT_BINUNICODE).Raw(2, 0xc3, 0x28).Stop().ToArray();

        AssertRefused(pickle, "not valid UTF-8");
    }

    [Fact]
    public void A_file_over_2_GiB_is_refused_without_being_read()
    {
        using var file = new SparseFile(".pkl", WholeFile.MaxBytes + 1);

        var e = Assert.Throws<InvalidDataException>(() => NumpyPickle.Load(file.Path));

        Assert.StartsWith(file.Path + ": ", e.Message);
        Assert.Contains("over 2 GiB are refused", e.Message);
    }

    [Fact]
    public void An_empty_file_is_refused()
    {
        AssertRefused([], "the file is empty");
    }

    [Fact]
    public void A_text_file_is_refused_as_not_a_pickle()
    {
        AssertRefused(Encoding.ASCII.GetBytes("W1,b1\n0.1,0.2\n"), "at byte 0");
    }

    /// <summary>Asserts a one-line <see cref="InvalidDataException"/> naming the source and containing each part.</summary>
    private static string AssertRefused(byte[] pickle, params string[] parts)
    {
        var e = Assert.Throws<InvalidDataException>(() => NumpyPickle.Load(pickle, Source));
        Assert.StartsWith(Source + ": ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.DoesNotContain('\r', e.Message);
        foreach (string part in parts)
        {
            Assert.Contains(part, e.Message);
        }

        return e.Message;
    }
}
