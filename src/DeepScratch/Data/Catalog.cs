namespace DeepScratch.Data;

/// <summary>
/// Every file DeepScratch can fetch, with its mirrors and official checksums. The checksums are the published ones;
/// where a decompressed-content digest is listed it was measured on the official data.
/// </summary>
public static class Catalog
{
    private static readonly Uri[] MnistMirrors =
    [
        new("https://ossci-datasets.s3.amazonaws.com/mnist/"),
        new("https://storage.googleapis.com/cvdf-datasets/mnist/"),
    ];

    private static readonly Uri[] FashionMirrors =
    [
        new("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"),
    ];

    /// <summary>Debian's dataset-fashion-mnist package installs the files here.</summary>
    public const string FashionSystemFolder = "/usr/share/datasets/fashion-mnist";

    /// <summary>The book's repository, where its pretrained weights are published.</summary>
    private static readonly Uri[] BookMirrors =
    [
        new("https://raw.githubusercontent.com/oreilly-japan/deep-learning-from-scratch/master/"),
        new("https://github.com/oreilly-japan/deep-learning-from-scratch/raw/master/"),
    ];

    /// <summary>The book's chapter 3 network (784-50-100-10, sigmoid): 0.9352 on the MNIST test set.</summary>
    public static DatasetFile SampleWeight { get; } = BookWeights("ch03", "sample_weight.pkl",
        "b7f55a27988ba34c3777b0f1bbd464817c8a4db855723e6ff26f703501917a13");

    /// <summary>The book's chapter 7 SimpleConvNet: 0.9600.</summary>
    public static DatasetFile SimpleConvNetParams { get; } = BookWeights("ch07", "params.pkl",
        "a5da99cffddafcfe5e686e79dc0ec3a7cc993b58e64f483b50960511e5e85344");

    /// <summary>The book's chapter 8 DeepConvNet: 0.9797.</summary>
    public static DatasetFile DeepConvNetParams { get; } = BookWeights("ch08", "deep_convnet_params.pkl",
        "4b7a27baee2037605afa94d3f514ca9fa9cc96623739328609765073cfd5f802");

    /// <summary>
    /// The book's three networks, most accurate first (DeepConvNet 0.9797, SimpleConvNet 0.9600, the chapter 3 MLP 0.9352):
    /// the order in which <c>predict --image</c> picks the default model among those in the data folder.
    /// </summary>
    public static IReadOnlyList<DatasetFile> BookWeightsByAccuracy { get; } = [DeepConvNetParams, SimpleConvNetParams, SampleWeight];

    /// <summary>The image file of a dataset split.</summary>
    public static DatasetFile Images(DatasetKind kind, DatasetSplit split) => Lookup(kind, split, images: true);

    /// <summary>The label file of a dataset split.</summary>
    public static DatasetFile Labels(DatasetKind kind, DatasetSplit split) => Lookup(kind, split, images: false);

    /// <summary>The folder name of a dataset under the data folder ("mnist", "fashion-mnist").</summary>
    public static string FolderName(DatasetKind kind) => kind == DatasetKind.Mnist ? "mnist" : "fashion-mnist";

    /// <summary>The name users type for a dataset ("mnist", "fashion-mnist").</summary>
    public static string DisplayName(DatasetKind kind) => kind == DatasetKind.Mnist ? "MNIST" : "Fashion-MNIST";

    private static DatasetFile Lookup(DatasetKind kind, DatasetSplit split, bool images)
    {
        string prefix = split == DatasetSplit.Train ? "train" : "t10k";
        string name = images ? $"{prefix}-images-idx3-ubyte.gz" : $"{prefix}-labels-idx1-ubyte.gz";
        FileDigest[] digests = (kind, split, images) switch
        {
            // MNIST: official md5 of the .gz; sha256 of the decompressed test files measured on the official data.
            (DatasetKind.Mnist, DatasetSplit.Train, true) => [FileDigest.Md5("f68b3c2dcbeaaa9fbdd348bbdeb94873")],
            (DatasetKind.Mnist, DatasetSplit.Train, false) => [FileDigest.Md5("d53e105ee54ea40749a09fcbcd1e9432")],
            (DatasetKind.Mnist, DatasetSplit.Test, true) =>
            [
                FileDigest.Md5("9fb629c4189551a2d022fa330f9573f3"),
                FileDigest.Sha256OfContent("0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
            ],
            (DatasetKind.Mnist, DatasetSplit.Test, false) =>
            [
                FileDigest.Md5("ec29112dd5afa0611ce80d1b7f02629c"),
                FileDigest.Sha256OfContent("ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
            ],

            // Fashion-MNIST: official md5 of the .gz; sha256 of the decompressed content measured on Debian's copy.
            (DatasetKind.FashionMnist, DatasetSplit.Train, true) =>
            [
                FileDigest.Md5("8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                FileDigest.Sha256OfContent("c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
            ],
            (DatasetKind.FashionMnist, DatasetSplit.Train, false) =>
            [
                FileDigest.Md5("25c81989df183df01b3e8a0aad5dffbe"),
                FileDigest.Sha256OfContent("bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
            ],
            (DatasetKind.FashionMnist, DatasetSplit.Test, true) =>
            [
                FileDigest.Md5("bef4ecab320f06d8554ea6380940ec79"),
                FileDigest.Sha256OfContent("5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
            ],
            _ =>
            [
                FileDigest.Md5("bb300cfdad3c16e7a12a480ee83cd310"),
                FileDigest.Sha256OfContent("0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
            ],
        };
        var mirrors = kind == DatasetKind.Mnist ? MnistMirrors : FashionMirrors;
        return new DatasetFile(
            FolderName(kind),
            name,
            mirrors.Select(m => new Uri(m, name)).ToArray(),
            digests,
            kind == DatasetKind.FashionMnist ? FashionSystemFolder : null,
            LooseInRoot: kind == DatasetKind.Mnist);
    }

    private static DatasetFile BookWeights(string chapter, string name, string sha256) => new(
        "weights",
        name,
        BookMirrors.Select(m => new Uri(m, $"{chapter}/{name}")).ToArray(),
        [FileDigest.Sha256(sha256)],
        LooseInRoot: true);

    /// <summary>Fashion-MNIST's ten class names, by label (Xiao, Rasul and Vollgraf 2017, as published with the data).</summary>
    private static readonly string[] FashionClassNames =
    [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ];

    /// <summary>
    /// The names of a dataset's classes by label, or null when the labels are their own names (MNIST's digits).
    /// </summary>
    public static IReadOnlyList<string>? ClassNames(DatasetKind kind) => kind == DatasetKind.FashionMnist ? FashionClassNames : null;

    /// <summary>
    /// How to show class <paramref name="label"/> of <paramref name="kind"/>: the digit for MNIST, the name for
    /// Fashion-MNIST ("Ankle boot"); a class outside the dataset's (a model with more outputs) is shown as its number.
    /// </summary>
    public static string ClassName(DatasetKind kind, int label) =>
        ClassNames(kind) is { } names && (uint)label < (uint)names.Count
            ? names[label]
            : label.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The dataset called <paramref name="name"/> ("mnist", "fashion-mnist", any letter case), or null if none is.</summary>
    public static DatasetKind? ParseName(string? name) =>
        Enum.GetValues<DatasetKind>().Cast<DatasetKind?>()
            .FirstOrDefault(k => string.Equals(FolderName(k!.Value), name?.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The default name of the PNG <c>show</c> writes for image <paramref name="index"/>: <c>digit-INDEX.png</c> for
    /// MNIST (as the book's digits are), <c>fashion-mnist-test-INDEX.png</c> for Fashion-MNIST, whose images are not digits.
    /// </summary>
    public static string ImageFileName(DatasetKind kind, DatasetSplit split, int index) => kind == DatasetKind.Mnist
        ? $"digit-{index}.png"
        : $"{FolderName(kind)}-{(split == DatasetSplit.Train ? "train" : "test")}-{index}.png";
}
