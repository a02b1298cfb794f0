namespace DeepScratch.Data;

/// <summary>One split of MNIST or Fashion-MNIST as stored: images and their labels, as bytes.</summary>
/// <param name="Images">The images.</param>
/// <param name="Labels">One label (0-9) per image.</param>
public sealed record MnistSet(IdxImages Images, byte[] Labels)
{
    /// <summary>Number of examples.</summary>
    public int Count => Labels.Length;

    /// <summary>
    /// The images as a float32 tensor with the book's <c>load_mnist</c> semantics: <paramref name="normalize"/> divides
    /// by 255 into [0, 1]; <paramref name="flatten"/> gives (N, 784), else (N, 1, 28, 28).
    /// </summary>
    public Tensor ImageTensor(bool normalize = true, bool flatten = true)
    {
        return flatten
            ? Tensor.FromPixels(Images.Pixels, normalize, Images.Count, Images.ImageSize)
            : Tensor.FromPixels(Images.Pixels, normalize, Images.Count, 1, Images.Rows, Images.Columns);
    }

    /// <summary>Image <paramref name="index"/> as a flat (rows·columns,) tensor, normalised to [0, 1] or kept as 0-255.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is outside the set.</exception>
    public Tensor ImageTensor(int index, bool normalize = true) => Mnist.ImageTensor(Images.Image(index), normalize);

    /// <summary>
    /// The labels as a tensor: (N,) class indices, or (N, 10) one-hot rows when <paramref name="oneHot"/> is true.
    /// </summary>
    public Tensor LabelTensor(bool oneHot = false)
    {
        if (!oneHot)
        {
            return new Tensor(Array.ConvertAll(Labels, b => (float)b), Labels.Length);
        }

        var result = Tensor.Zeros(Labels.Length, Mnist.Classes);
        var span = result.Span;
        for (int i = 0; i < Labels.Length; i++)
        {
            span[i * Mnist.Classes + Labels[i]] = 1f;
        }

        return result;
    }
}
