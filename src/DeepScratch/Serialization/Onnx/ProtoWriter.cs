using System.Buffers.Binary;
using System.Text;

namespace DeepScratch.Serialization.Onnx;

/// <summary>
/// A minimal Protocol Buffers encoder (the wire format of https://protobuf.dev/programming-guides/encoding/): varints,
/// 64-bit integers, 32-bit floats, strings, bytes and nested messages. Enough to write the ONNX messages, which are
/// plain protobuf; a message is built in its own writer and embedded with <see cref="Message"/>.
/// </summary>
public sealed class ProtoWriter
{
    private const int VarintWire = 0;
    private const int LengthWire = 2;
    private const int Fixed32Wire = 5;

    private readonly MemoryStream _stream = new();

    /// <summary>Bytes written so far.</summary>
    public long Length => _stream.Length;

    /// <summary>Field <paramref name="field"/> as a varint int64/int32/enum (a negative value takes ten bytes, as protobuf's int64).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The field number is not in 1..2^29-1.</exception>
    public ProtoWriter Int64(int field, long value)
    {
        Tag(field, VarintWire);
        Varint(unchecked((ulong)value));
        return this;
    }

    /// <summary>Field <paramref name="field"/> as a 32-bit float (wire type 5, little-endian).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The field number is not in 1..2^29-1.</exception>
    public ProtoWriter Float(int field, float value)
    {
        Tag(field, Fixed32Wire);
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        _stream.Write(bytes);
        return this;
    }

    /// <summary>Field <paramref name="field"/> as a UTF-8 string.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The field number is not in 1..2^29-1.</exception>
    public ProtoWriter String(int field, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return Bytes(field, Encoding.UTF8.GetBytes(value));
    }

    /// <summary>Field <paramref name="field"/> as length-delimited bytes.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The field number is not in 1..2^29-1.</exception>
    public ProtoWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, LengthWire);
        Varint((ulong)value.Length);
        _stream.Write(value);
        return this;
    }

    /// <summary>Field <paramref name="field"/> as the embedded message <paramref name="message"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The field number is not in 1..2^29-1.</exception>
    public ProtoWriter Message(int field, ProtoWriter message)
    {
        ArgumentNullException.ThrowIfNull(message);
        Tag(field, LengthWire);
        Varint((ulong)message._stream.Length);
        message._stream.Position = 0;
        message._stream.CopyTo(_stream);
        return this;
    }

    /// <summary>The encoded message.</summary>
    public byte[] ToArray() => _stream.ToArray();

    /// <summary>Writes the message to <paramref name="destination"/>.</summary>
    public void WriteTo(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        _stream.Position = 0;
        _stream.CopyTo(destination);
    }

    private void Tag(int field, int wireType)
    {
        // Field numbers are 1..2^29-1 (19000..19999 are reserved by protobuf but not ours to police).
        ArgumentOutOfRangeException.ThrowIfLessThan(field, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(field, (1 << 29) - 1);
        Varint(((ulong)field << 3) | (uint)wireType);
    }

    private void Varint(ulong value)
    {
        while (value >= 0x80)
        {
            _stream.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        _stream.WriteByte((byte)value);
    }
}
