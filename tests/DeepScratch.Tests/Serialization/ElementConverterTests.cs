using System.Buffers.Binary;
using DeepScratch.Serialization;

namespace DeepScratch.Tests.Serialization;

/// <summary>
/// The one dtype -> float32 routine behind both weight readers. Expected values are numpy's
/// <c>np.frombuffer(raw, dtype).astype(np.float32)</c>, computed independently and written here by hand.
/// </summary>
public class ElementConverterTests
{
    [Fact]
    public void Int64_rounds_to_nearest_as_numpy_does_in_both_readers()
    {
        // numpy: np.array([2**24+1, -(2**40)-3], '<i8').astype(np.float32) -> [1.6777216e+07, -1.0995116e+12]
        var raw = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(raw, (1L << 24) + 1);
        BinaryPrimitives.WriteInt64LittleEndian(raw.AsSpan(8), -(1L << 40) - 3);
        float[] expected = [16777216f, -1099511627776f];

        var numpy = new float[2];
        NumpyDType.Parse("<i8").ToFloat32(raw, numpy);
        Assert.True(SafeTensorsDType.TryParse("I64", out var i64));
        var safetensors = new float[2];
        i64.ToFloat32(raw, safetensors);

        Assert.Equal(expected, numpy);
        Assert.Equal(expected, safetensors);
    }

    [Fact]
    public void Each_kind_converts_to_numpys_value()
    {
        // uint64 max -> 1.8446744e+19; float64 0.1 -> float32 0.1 and 1e300 -> inf; '>i2' FF FE -> -2;
        // '<f2' 00 3C -> 1; bool 7 -> 1; int8 FF -> -1; bf16 0x3F80 (little endian 80 3F) -> 1.
        Assert.Equal(18446744073709551615f, Convert(ElementKind.Unsigned, 8, true, [.. Enumerable.Repeat((byte)0xFF, 8)]));
        Assert.Equal(0.1f, Convert(ElementKind.Float, 8, true, BitConverter.GetBytes(0.1)));
        Assert.Equal(float.PositiveInfinity, Convert(ElementKind.Float, 8, true, BitConverter.GetBytes(1e300)));
        Assert.Equal(-2f, Convert(ElementKind.Signed, 2, false, [0xFF, 0xFE]));
        Assert.Equal(1f, Convert(ElementKind.Float, 2, true, [0x00, 0x3C]));
        Assert.Equal(1f, Convert(ElementKind.Bool, 1, true, [7]));
        Assert.Equal(-1f, Convert(ElementKind.Signed, 1, true, [0xFF]));
        Assert.Equal(1f, Convert(ElementKind.BFloat, 2, true, [0x80, 0x3F]));
    }

    [Fact]
    public void A_type_without_a_conversion_is_a_bug_not_a_silent_zero()
    {
        Assert.False(ElementConverter.Supports(ElementKind.Float, 1));
        var e = Assert.Throws<InvalidOperationException>(() => Convert(ElementKind.Float, 1, true, [0]));
        Assert.Equal("Float of 1 bytes has no conversion to float32.", e.Message);
    }

    private static float Convert(ElementKind kind, int size, bool little, byte[] raw)
    {
        var destination = new float[1];
        ElementConverter.ToFloat32(kind, size, little, raw, destination);
        return destination[0];
    }
}
