namespace DeepScratch.Tests.Tensors;

/// <summary>
/// The book-level pixel conversion the data loaders and the streaming evaluation use instead of reaching into the
/// kernels: every byte value must come out as numpy's <c>(x / 255.0).astype(np.float32)</c>, or as the byte itself.
/// </summary>
public class TensorPixelsTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Every_byte_value_converts_as_numpy_does_in_the_requested_shape(bool normalize)
    {
        // 300 values: every byte, then a tail past a whole number of 32-wide vectors.
        var pixels = new byte[300];
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (byte)(i * 7 % 256);
        }

        var t = Tensor.FromPixels(pixels, normalize, 3, 100);

        Assert.Equal([3, 100], t.Shape.ToArray());
        for (int i = 0; i < pixels.Length; i++)
        {
            // Oracle: numpy divides in double and casts to float32; no normalising keeps the byte value.
            float expected = normalize ? (float)(pixels[i] / 255.0) : pixels[i];
            Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(t.Span[i]));
        }
    }

    [Fact]
    public void Conversion_into_a_longer_span_leaves_the_rest_untouched()
    {
        var destination = new float[] { -1f, -1f, -1f, -1f };
        Tensor.ConvertPixels([0, 255, 51], destination, normalize: true);
        Assert.Equal([0f, 1f, 0.2f, -1f], destination);
    }

    [Fact]
    public void A_shape_that_does_not_hold_the_pixels_and_a_short_destination_are_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.FromPixels(new byte[6], true, 2, 2));
        Assert.Contains("(2, 2)", e.Message);
        Assert.Contains("6 values", e.Message);

        var f = Assert.Throws<ArgumentException>(() => Tensor.ConvertPixels(new byte[5], new float[4], normalize: false));
        Assert.Equal("The destination holds 4 floats but there are 5 pixels. (Parameter 'destination')", f.Message);
    }
}
