namespace DeepScratch.Data;

/// <summary>A set of images read from an IDX file: <see cref="Count"/> images of <see cref="Rows"/> x <see cref="Columns"/> bytes.</summary>
/// <param name="Count">Number of images.</param>
/// <param name="Rows">Height of each image in pixels (28 for MNIST).</param>
/// <param name="Columns">Width of each image in pixels (28 for MNIST).</param>
/// <param name="Pixels">All pixels, image after image, row-major, 0 (background) to 255 (ink).</param>
public sealed record IdxImages(int Count, int Rows, int Columns, byte[] Pixels)
{
    /// <summary>Bytes per image (784 for MNIST).</summary>
    public int ImageSize => Rows * Columns;

    /// <summary>The pixels of image <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Image(int index)
    {
        if ((uint)index >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"Image index {index} is out of range: this set has {Count} images (0..{Count - 1}).");
        }

        return Pixels.AsSpan(index * ImageSize, ImageSize);
    }
}
