using System.Numerics.Tensors;
using DeepScratch.Kernels;

namespace DeepScratch.Tensors;

public sealed partial class Tensor
{
    /// <summary>
    /// Image bytes (0-255) as a float32 tensor of <paramref name="shape"/>: divided by 255 into [0, 1] when
    /// <paramref name="normalize"/> (the book's <c>load_mnist(normalize=True)</c>, <c>x / 255.0</c>), else kept as 0-255.
    /// </summary>
    /// <exception cref="ArgumentException">The shape does not hold exactly <c>pixels.Length</c> elements.</exception>
    public static Tensor FromPixels(ReadOnlySpan<byte> pixels, bool normalize, params int[] shape)
    {
        var data = new float[pixels.Length];
        ConvertPixels(pixels, data, normalize);
        return new Tensor(data, shape);
    }

    /// <summary>
    /// Writes <paramref name="pixels"/> as floats into the start of <paramref name="destination"/>, divided by 255
    /// when <paramref name="normalize"/>; the division is bit-identical to numpy's <c>x / 255.0</c> cast to float32.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <paramref name="pixels"/>.</exception>
    public static void ConvertPixels(ReadOnlySpan<byte> pixels, Span<float> destination, bool normalize)
    {
        if (destination.Length < pixels.Length)
        {
            throw new ArgumentException(
                $"The destination holds {destination.Length} floats but there are {pixels.Length} pixels.", nameof(destination));
        }

        if (normalize)
        {
            PixelScaling.Normalize(pixels, destination);
        }
        else
        {
            TensorPrimitives.ConvertChecked(pixels, destination[..pixels.Length]);
        }
    }
}
