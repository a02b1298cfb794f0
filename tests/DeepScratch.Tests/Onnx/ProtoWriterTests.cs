using DeepScratch.Serialization.Onnx;

namespace DeepScratch.Tests.Onnx;

/// <summary>
/// The protobuf encoder against the bytes of the wire-format guide (https://protobuf.dev/programming-guides/encoding/)
/// and hand-encoded values.
/// </summary>
public sealed class ProtoWriterTests
{
    [Fact]
    public void Varint150InField1IsTheGuidesExample() =>
        Assert.Equal([0x08, 0x96, 0x01], new ProtoWriter().Int64(1, 150).ToArray());

    [Fact]
    public void StringTestingInField2IsTheGuidesExample() =>
        Assert.Equal([0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6e, 0x67], new ProtoWriter().String(2, "testing").ToArray());

    [Fact]
    public void EmbeddedMessageInField3IsTheGuidesExample() =>
        Assert.Equal([0x1a, 0x03, 0x08, 0x96, 0x01], new ProtoWriter().Message(3, new ProtoWriter().Int64(1, 150)).ToArray());

    [Fact]
    public void NegativeInt64TakesTenBytes() =>
        Assert.Equal([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], new ProtoWriter().Int64(1, -1).ToArray());

    [Fact]
    public void FloatIsFixed32LittleEndian() =>
        // 1.0f is 0x3F800000; field 2, wire type 5 gives the tag 0x15.
        Assert.Equal([0x15, 0x00, 0x00, 0x80, 0x3f], new ProtoWriter().Float(2, 1.0f).ToArray());

    [Fact]
    public void LargeFieldNumberAndLongBytesUseMultiByteVarints()
    {
        // Field 20, wire type 0: (20 << 3) | 0 = 160 = 0xA0 0x01. 300 bytes: length 300 = 0xAC 0x02.
        Assert.Equal([0xa0, 0x01, 0x07], new ProtoWriter().Int64(20, 7).ToArray());
        var encoded = new ProtoWriter().Bytes(9, new byte[300]).ToArray();
        Assert.Equal([0x4a, 0xac, 0x02], encoded[..3]);
        Assert.Equal(303, encoded.Length);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(1 << 29)]
    public void FieldNumbersOutsideTheRangeAreRefused(int field) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProtoWriter().Int64(field, 1));
}
