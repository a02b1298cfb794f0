namespace DeepScratch.Data;

/// <summary>
/// One split of MNIST or Fashion-MNIST read a batch at a time: images and their labels from two IDX files whose
/// headers have been checked against each other before any pixel is read. Memory is bounded by the caller's batch,
/// never by the set, so a small compressed file that claims a huge set costs only the time to read it.
/// </summary>
public sealed class MnistReader : IDisposable
{
    private readonly IdxStream _images;
    private readonly IdxStream _labels;

    private MnistReader(IdxStream images, IdxStream labels)
    {
        _images = images;
        _labels = labels;
    }

    /// <summary>Number of examples.</summary>
    public int Count => _images.Count;

    /// <summary>Height of each image in pixels (28).</summary>
    public int Rows => _images.Rows;

    /// <summary>Width of each image in pixels (28).</summary>
    public int Columns => _images.Columns;

    /// <summary>Bytes (pixels) per image (784).</summary>
    public int ImageSize => _images.RecordSize;

    /// <summary>Examples read (or skipped) so far.</summary>
    public int Position => _images.Position;

    /// <summary>The image file, for messages.</summary>
    public string ImagesPath => _images.Path;

    /// <summary>Opens an image file and a label file that belong together, reading only their headers.</summary>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="InvalidDataException">A header is malformed, or the two disagree in number.</exception>
    public static MnistReader Open(string imagesPath, string labelsPath) => Open(imagesPath, labelsPath, DecompressedCache.Default);

    /// <summary>Opens the two files as <see cref="Open(string, string)"/>, gzip ones through <paramref name="cache"/> (null: always inflated).</summary>
    internal static MnistReader Open(string imagesPath, string labelsPath, DecompressedCache? cache)
    {
        var images = IdxReader.OpenImages(imagesPath, cache);
        IdxStream? labels = null;
        try
        {
            labels = IdxReader.OpenLabels(labelsPath, cache);
            if (images.Count != labels.Count)
            {
                throw new InvalidDataException(
                    $"{imagesPath} holds {images.Count} images but {labelsPath} holds {labels.Count} labels; they must come from the same split.");
            }

            return new MnistReader(images, labels);
        }
        catch
        {
            images.Dispose();
            labels?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads the next examples: as many as fit in <paramref name="labels"/> (and whole in <paramref name="pixels"/>,
    /// <see cref="ImageSize"/> bytes each) and remain. Returns how many; 0 at the end.
    /// </summary>
    /// <exception cref="InvalidDataException">A file is truncated or broken, or a label is not a class 0-9.</exception>
    public int Read(Span<byte> pixels, Span<byte> labels)
    {
        int wanted = Math.Min(labels.Length, pixels.Length / ImageSize);
        int count = _images.Read(pixels[..(wanted * ImageSize)]);
        int start = _labels.Position;
        if (_labels.Read(labels[..count]) != count)
        {
            throw new InvalidDataException($"{_labels.Path}: fewer labels than its header's {_labels.Count}.");
        }

        int bad = labels[..count].IndexOfAnyInRange((byte)Mnist.Classes, byte.MaxValue);
        if (bad >= 0)
        {
            throw new InvalidDataException($"{_labels.Path}: label {labels[bad]} at index {start + bad} is not a class 0-{Mnist.Classes - 1}.");
        }

        return count;
    }

    /// <summary>Reads past the next <paramref name="count"/> examples.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Fewer examples remain.</exception>
    /// <exception cref="InvalidDataException">A file is truncated or broken.</exception>
    public void Skip(int count)
    {
        _images.Skip(count);
        _labels.Skip(count);
    }

    /// <summary>
    /// Example <paramref name="index"/> (at or after <see cref="Position"/>): its pixels and label, read without
    /// holding the examples before it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is outside the set or already passed.</exception>
    /// <exception cref="InvalidDataException">A file is truncated or broken, or the label is not a class 0-9.</exception>
    public (byte[] Pixels, byte Label) ReadExample(int index)
    {
        if (index < Position || index >= Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"Image index {index} is out of range: this set has {Count} images (0..{Count - 1}).");
        }

        Skip(index - Position);
        var pixels = new byte[ImageSize];
        Span<byte> label = stackalloc byte[1];
        Read(pixels, label);
        return (pixels, label[0]);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _images.Dispose();
        _labels.Dispose();
    }
}
