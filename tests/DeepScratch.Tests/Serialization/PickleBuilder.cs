using System.Buffers.Binary;
using System.Text;
using DeepScratch.Serialization;

namespace DeepScratch.Tests.Serialization;

/// <summary>
/// Writes pickles opcode by opcode, for what numpy on this machine cannot produce: numpy 2's module names, Python 2
/// strings, and hostile files. <see cref="NdArray"/> writes the same opcodes as numpy's own <c>ndarray.__reduce__</c>.
/// </summary>
internal sealed class PickleBuilder
{
    /// <summary>numpy 1's package holding <c>multiarray</c> and <c>numeric</c>.</summary>
    public const string Numpy1Core = "numpy.core";

    /// <summary>numpy 2's name for the same package.</summary>
    public const string Numpy2Core = "numpy._core";

    private readonly List<byte> _bytes = [];

    /// <summary>The number of bytes written so far (the offset of the next opcode).</summary>
    public int Length => _bytes.Count;

    public PickleBuilder Op(PickleOpcode opcode) => Raw((byte)opcode);

    public PickleBuilder Raw(params byte[] bytes)
    {
        _bytes.AddRange(bytes);
        return this;
    }

    public PickleBuilder Proto(byte protocol) => Op(PickleOpcode.PROTO).Raw(protocol);

    public PickleBuilder Stop() => Op(PickleOpcode.STOP);

    public PickleBuilder Mark() => Op(PickleOpcode.MARK);

    /// <summary>GLOBAL: module and name as two text lines.</summary>
    public PickleBuilder Global(string module, string name) =>
        Op(PickleOpcode.GLOBAL).Raw(Encoding.UTF8.GetBytes($"{module}\n{name}\n"));

    /// <summary>STACK_GLOBAL (protocol 4): module and name pushed as strings first.</summary>
    public PickleBuilder StackGlobal(string module, string name) => Str(module).Str(name).Op(PickleOpcode.STACK_GLOBAL);

    /// <summary>BINUNICODE.</summary>
    public PickleBuilder Str(string text)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(text);
        return Op(PickleOpcode.BINUNICODE).UInt32((uint)utf8.Length).Raw(utf8);
    }

    /// <summary>BINBYTES.</summary>
    public PickleBuilder Bytes(byte[] bytes) => Op(PickleOpcode.BINBYTES).UInt32((uint)bytes.Length).Raw(bytes);

    /// <summary>SHORT_BINSTRING: a Python 2 str.</summary>
    public PickleBuilder ShortBinString(string latin1)
    {
        byte[] bytes = Encoding.Latin1.GetBytes(latin1);
        return Op(PickleOpcode.SHORT_BINSTRING).Raw((byte)bytes.Length).Raw(bytes);
    }

    /// <summary>BINSTRING: a Python 2 str with a 4-byte length.</summary>
    public PickleBuilder BinString(byte[] bytes) => Op(PickleOpcode.BINSTRING).UInt32((uint)bytes.Length).Raw(bytes);

    /// <summary>BININT.</summary>
    public PickleBuilder Int(int value)
    {
        Op(PickleOpcode.BININT);
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(b, value);
        return Raw(b.ToArray());
    }

    public PickleBuilder UInt32(uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        return Raw(b.ToArray());
    }

    public PickleBuilder UInt64(ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        return Raw(b.ToArray());
    }

    public PickleBuilder None() => Op(PickleOpcode.NONE);

    public PickleBuilder Bool(bool value) => Op(value ? PickleOpcode.NEWTRUE : PickleOpcode.NEWFALSE);

    /// <summary>A tuple of ints, as numpy writes shapes.</summary>
    public PickleBuilder Shape(params int[] dims)
    {
        Mark();
        foreach (int d in dims)
        {
            Int(d);
        }

        return Op(PickleOpcode.TUPLE);
    }

    /// <summary><c>dtype(code, False, True)</c> then BUILD with state <c>(3, order, None, None, None, -1, -1, 0)</c>.</summary>
    public PickleBuilder DType(string code, char order = '<') =>
        Global("numpy", "dtype").Str(code).Bool(false).Bool(true).Op(PickleOpcode.TUPLE3).Op(PickleOpcode.REDUCE)
            .Mark().Int(3).Str(order.ToString()).None().None().None().Int(-1).Int(-1).Int(0).Op(PickleOpcode.TUPLE)
            .Op(PickleOpcode.BUILD);

    /// <summary>
    /// An ndarray as numpy pickles it for protocols 2 to 4: <c>_reconstruct(ndarray, (0,), b'b')</c>, then BUILD with
    /// <c>(1, shape, dtype, is_fortran, rawdata)</c>.
    /// </summary>
    public PickleBuilder NdArray(int[] shape, string code, byte[] raw, char order = '<', bool fortran = false, string core = Numpy1Core) =>
        Global($"{core}.multiarray", "_reconstruct").Global("numpy", "ndarray").Shape(0).Bytes("b"u8.ToArray())
            .Op(PickleOpcode.TUPLE3).Op(PickleOpcode.REDUCE)
            .Mark().Int(1).Shape(shape).DType(code, order).Bool(fortran).Bytes(raw).Op(PickleOpcode.TUPLE).Op(PickleOpcode.BUILD);

    /// <summary>float32 values as little-endian bytes.</summary>
    public static byte[] Float32Bytes(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        }

        return bytes;
    }

    public byte[] ToArray() => [.. _bytes];
}
