namespace DeepScratch.Data;

/// <summary>
/// Loads MNIST (or Fashion-MNIST, same format) the way the book's <c>load_mnist</c> does, from the data folder,
/// downloading missing files.
/// </summary>
public static class Mnist
{
    /// <summary>Ten classes: the digits 0-9 (or ten kinds of clothing).</summary>
    public const int Classes = 10;

    /// <summary>
    /// The book's <c>load_mnist(normalize, flatten, one_hot_label)</c>: <c>((x_train, t_train), (x_test, t_test))</c>.
    /// Needs the training files too; use <see cref="Load(DatasetSplit, bool, bool, bool, DataStore?, DatasetKind, IProgress{DownloadProgress}?)"/>
    /// for one split.
    /// </summary>
    public static ((Tensor Images, Tensor Labels) Train, (Tensor Images, Tensor Labels) Test) Load(
        bool normalize = true, bool flatten = true, bool oneHotLabel = false,
        DataStore? store = null, DatasetKind kind = DatasetKind.Mnist, IProgress<DownloadProgress>? progress = null)
    {
        // All four files in one call, so missing ones are fetched or reported together, from one folder.
        store ??= DataStore.Resolve();
        var paths = store.Ensure([.. Files(kind, DatasetSplit.Train), .. Files(kind, DatasetSplit.Test)], progress);
        var train = Read(paths[0], paths[1]);
        var test = Read(paths[2], paths[3]);
        return ((train.ImageTensor(normalize, flatten), train.LabelTensor(oneHotLabel)), (test.ImageTensor(normalize, flatten), test.LabelTensor(oneHotLabel)));
    }

    /// <summary>One split as tensors: images (N, 784) or (N, 1, 28, 28), labels (N,) or one-hot (N, 10).</summary>
    public static (Tensor Images, Tensor Labels) Load(
        DatasetSplit split, bool normalize = true, bool flatten = true, bool oneHotLabel = false,
        DataStore? store = null, DatasetKind kind = DatasetKind.Mnist, IProgress<DownloadProgress>? progress = null)
    {
        var set = LoadSet(split, store, kind, progress);
        return (set.ImageTensor(normalize, flatten), set.LabelTensor(oneHotLabel));
    }

    /// <summary>One split as stored (bytes), for callers that convert on the fly or draw the images.</summary>
    /// <exception cref="DataUnavailableException">The files are missing and could not be downloaded.</exception>
    /// <exception cref="InvalidDataException">A file is malformed, or images and labels disagree in number.</exception>
    public static MnistSet LoadSet(
        DatasetSplit split, DataStore? store = null, DatasetKind kind = DatasetKind.Mnist,
        IProgress<DownloadProgress>? progress = null)
    {
        store ??= DataStore.Resolve();
        var paths = store.Ensure(Files(kind, split), progress);
        return Read(paths[0], paths[1]);
    }

    /// <summary>
    /// One split for reading a batch at a time (see <see cref="MnistReader"/>): the files are found or downloaded, and
    /// only their headers are read here.
    /// </summary>
    /// <exception cref="DataUnavailableException">The files are missing and could not be downloaded.</exception>
    /// <exception cref="InvalidDataException">A header is malformed, or images and labels disagree in number.</exception>
    public static MnistReader Open(
        DatasetSplit split, DataStore? store = null, DatasetKind kind = DatasetKind.Mnist,
        IProgress<DownloadProgress>? progress = null)
    {
        store ??= DataStore.Resolve();
        var paths = store.Ensure(Files(kind, split), progress);
        return MnistReader.Open(paths[0], paths[1]);
    }

    /// <summary>The two files of a split, images then labels, for <see cref="DataStore.Ensure(IReadOnlyList{DatasetFile}, IProgress{DownloadProgress})"/>.</summary>
    public static IReadOnlyList<DatasetFile> Files(DatasetKind kind, DatasetSplit split) =>
        [Catalog.Images(kind, split), Catalog.Labels(kind, split)];

    /// <summary>
    /// One image's pixels as a flat float32 tensor (rows·columns,), divided by 255 into [0, 1] when
    /// <paramref name="normalize"/> (as <c>load_mnist(normalize=True)</c>), else kept as 0-255.
    /// </summary>
    public static Tensor ImageTensor(ReadOnlySpan<byte> pixels, bool normalize = true)
    {
        return Tensor.FromPixels(pixels, normalize, pixels.Length);
    }

    /// <summary>Reads an image file and a label file that belong together.</summary>
    /// <exception cref="InvalidDataException">A file is malformed, or they disagree in number or labels exceed 9.</exception>
    public static MnistSet Read(string imagesPath, string labelsPath)
    {
        var images = IdxReader.ReadImages(imagesPath);
        var labels = IdxReader.ReadLabels(labelsPath);
        if (images.Count != labels.Length)
        {
            throw new InvalidDataException(
                $"{imagesPath} holds {images.Count} images but {labelsPath} holds {labels.Length} labels; they must come from the same split.");
        }

        int bad = Array.FindIndex(labels, l => l >= Classes);
        if (bad >= 0)
        {
            throw new InvalidDataException($"{labelsPath}: label {labels[bad]} at index {bad} is not a class 0-{Classes - 1}.");
        }

        return new MnistSet(images, labels);
    }
}
