using System.Buffers.Binary;
using DeepScratch.Serialization;

namespace DeepScratch.Tests.Serialization;

/// <summary>
/// Legitimate pickles that the numpy installed here (1.24) cannot write, built opcode by opcode with the same
/// opcodes numpy uses: numpy 2's <c>numpy._core</c> module names and Python 2's byte strings.
/// </summary>
public class HandBuiltPickleTests
{
    [Fact]
    public void Numpy_2_module_names_are_accepted_for_reconstruct_scalar_and_frombuffer()
    {
        byte[] doubleBytes = new byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(doubleBytes, -1.25);
        var pickle = new PickleBuilder().Proto(5).Op(PickleOpcode.EMPTY_DICT).Mark()
            .Str("w").NdArray([2, 2], "f4", PickleBuilder.Float32Bytes(1, 2, 3, 4), core: PickleBuilder.Numpy2Core)
            .Str("s").StackGlobal("numpy._core.multiarray", "scalar").DType("f8").Bytes(doubleBytes)
            .Op(PickleOpcode.TUPLE2).Op(PickleOpcode.REDUCE)
            .Str("fb").StackGlobal("numpy._core.numeric", "_frombuffer").Mark()
            .Op(PickleOpcode.BYTEARRAY8).UInt64(24).Raw(PickleBuilder.Float32Bytes(1, 4, 2, 5, 3, 6))
            .DType("f4").Shape(2, 3).Str("F").Op(PickleOpcode.TUPLE).Op(PickleOpcode.REDUCE)
            .Op(PickleOpcode.SETITEMS).Stop().ToArray();

        var arrays = NumpyPickle.Load(pickle, "numpy2.pkl").ToDictionary(a => a.Name);

        Assert.Equal([1f, 2f, 3f, 4f], arrays["w"].Tensor.ToArray());
        Assert.Equal("(2, 2)", arrays["w"].Tensor.ShapeString);
        Assert.Equal([-1.25f], arrays["s"].Tensor.ToArray());
        Assert.Equal("<f8", arrays["s"].DType);
        Assert.True(arrays["fb"].FortranOrder);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], arrays["fb"].Tensor.ToArray());
    }

    [Fact]
    public void Python_2_byte_strings_are_read_as_latin1_for_keys_codes_and_data()
    {
        // Python 2's numpy writes str (SHORT_BINSTRING / BINSTRING) where Python 3 writes str and bytes.
        var pickle = new PickleBuilder().Proto(2).Op(PickleOpcode.EMPTY_DICT).Mark()
            .ShortBinString("W1")
            .Global("numpy.core.multiarray", "_reconstruct").Global("numpy", "ndarray").Shape(0).ShortBinString("b")
            .Op(PickleOpcode.TUPLE3).Op(PickleOpcode.REDUCE)
            .Mark().Int(1).Shape(3)
            .Global("numpy", "dtype").ShortBinString("f4").Int(0).Int(1).Op(PickleOpcode.TUPLE3).Op(PickleOpcode.REDUCE)
            .Mark().Int(3).ShortBinString("<").None().None().None().Int(-1).Int(-1).Int(0).Op(PickleOpcode.TUPLE).Op(PickleOpcode.BUILD)
            .Bool(false).BinString(PickleBuilder.Float32Bytes(0.5f, -1f, 2f)).Op(PickleOpcode.TUPLE).Op(PickleOpcode.BUILD)
            .Op(PickleOpcode.SETITEMS).Stop().ToArray();

        var array = Assert.Single(NumpyPickle.Load(pickle, "python2.pkl"));

        Assert.Equal("W1", array.Name);
        Assert.Equal("<f4", array.DType);
        Assert.Equal([0.5f, -1f, 2f], array.Tensor.ToArray());
    }

    [Fact]
    public void Native_byte_order_is_reported_as_little_endian_on_this_machine()
    {
        Assert.True(BitConverter.IsLittleEndian);
        var pickle = new PickleBuilder().Proto(3).NdArray([1], "f4", PickleBuilder.Float32Bytes(7), order: '=').Stop().ToArray();

        var array = Assert.Single(NumpyPickle.Load(pickle, "native.pkl"));

        Assert.Equal("<f4", array.DType);
        Assert.Equal([7f], array.Tensor.ToArray());
    }

    [Fact]
    public void A_version_less_ndarray_state_from_old_numpy_is_accepted()
    {
        // Very old numpy wrote (shape, dtype, is_fortran, rawdata) without the leading version.
        var pickle = new PickleBuilder().Proto(2)
            .Global("numpy.core.multiarray", "_reconstruct").Global("numpy", "ndarray").Shape(0).Bytes("b"u8.ToArray())
            .Op(PickleOpcode.TUPLE3).Op(PickleOpcode.REDUCE)
            .Mark().Shape(2).DType("f4").Bool(false).Bytes(PickleBuilder.Float32Bytes(1, 2)).Op(PickleOpcode.TUPLE).Op(PickleOpcode.BUILD)
            .Stop().ToArray();

        Assert.Equal([1f, 2f], Assert.Single(NumpyPickle.Load(pickle, "old.pkl")).Tensor.ToArray());
    }

    [Fact]
    public void A_python_2_OrderedDict_built_from_a_list_of_pairs_keeps_its_order()
    {
        var pickle = new PickleBuilder().Proto(2).Global("collections", "OrderedDict")
            .Mark().Mark()
            .Mark().Str("z").NdArray([1], "f4", PickleBuilder.Float32Bytes(1)).Op(PickleOpcode.LIST)
            .Mark().Str("a").NdArray([1], "f4", PickleBuilder.Float32Bytes(2)).Op(PickleOpcode.LIST)
            .Op(PickleOpcode.LIST).Op(PickleOpcode.TUPLE).Op(PickleOpcode.REDUCE).Stop().ToArray();

        Assert.Equal(["z", "a"], NumpyPickle.Load(pickle, "od.pkl").Select(a => a.Name));
    }

    [Fact]
    public void Setting_a_key_twice_keeps_its_first_position_and_last_value_as_python_does()
    {
        var pickle = new PickleBuilder().Proto(2).Op(PickleOpcode.EMPTY_DICT).Mark()
            .Str("a").NdArray([1], "f4", PickleBuilder.Float32Bytes(1))
            .Str("b").NdArray([1], "f4", PickleBuilder.Float32Bytes(2))
            .Str("a").NdArray([1], "f4", PickleBuilder.Float32Bytes(3))
            .Op(PickleOpcode.SETITEMS).Stop().ToArray();

        var arrays = NumpyPickle.Load(pickle, "twice.pkl");

        Assert.Equal(["a", "b"], arrays.Select(a => a.Name));
        Assert.Equal([3f], arrays[0].Tensor.ToArray());
    }

    [Fact]
    public void An_empty_dict_is_a_pickle_with_no_arrays()
    {
        byte[] pickle = new PickleBuilder().Proto(4).Op(PickleOpcode.EMPTY_DICT).Stop().ToArray();

        Assert.Empty(NumpyPickle.Load(pickle, "empty.pkl"));
    }
}
