using DeepScratch.Data;

namespace DeepScratch.Tests.Data;

public sealed class DataStoreTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static DatasetFile TestImages => Catalog.Images(DatasetKind.Mnist, DatasetSplit.Test);

    private static DatasetFile TestLabels => Catalog.Labels(DatasetKind.Mnist, DatasetSplit.Test);

    [Fact]
    public void Constructor_makes_the_root_absolute_and_a_null_downloader_means_offline()
    {
        var store = new DataStore(_temp.Path, downloader: null);

        Assert.Equal(Path.GetFullPath(_temp.Path), store.Root);
        Assert.True(Path.IsPathRooted(new DataStore("relative-data", null).Root));
        Assert.Null(store.Downloader);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void Constructor_rejects_a_blank_root(string root)
    {
        Assert.ThrowsAny<ArgumentException>(() => new DataStore(root, null));
    }

    [Fact]
    public void PathOf_is_root_folder_and_published_name()
    {
        var store = new DataStore(_temp.Path, null);

        Assert.Equal(_temp.File("mnist", "t10k-images-idx3-ubyte.gz"), store.PathOf(TestImages));
    }

    [Fact]
    public void Find_finds_the_file_under_its_published_name()
    {
        string path = _temp.Write("mnist/t10k-images-idx3-ubyte.gz", [1]);

        Assert.Equal(path, new DataStore(_temp.Path, null).Find(TestImages));
    }

    [Fact]
    public void Find_finds_the_decompressed_file_without_gz()
    {
        string path = _temp.Write("mnist/t10k-images-idx3-ubyte", [1]);

        Assert.Equal(path, new DataStore(_temp.Path, null).Find(TestImages));
    }

    [Fact]
    public void Find_prefers_the_published_name_when_both_copies_exist()
    {
        string published = _temp.Write("mnist/t10k-labels-idx1-ubyte.gz", [1]);
        _temp.Write("mnist/t10k-labels-idx1-ubyte", [2]);

        Assert.Equal(published, new DataStore(_temp.Path, null).Find(TestLabels));
    }

    [Fact]
    public void Find_returns_null_when_the_file_is_absent()
    {
        _temp.Write("mnist/t10k-labels-idx1-ubyte.gz", [1]); // a different file
        _temp.Write("fashion-mnist/t10k-images-idx3-ubyte.gz", [1]); // the right name in the wrong dataset's folder
        _temp.Write("weights/t10k-images-idx3-ubyte.gz", [1]); // and in the weights folder

        Assert.Null(new DataStore(_temp.Path, null).Find(TestImages));
        Assert.Null(new DataStore(_temp.File("does-not-exist"), null).Find(TestImages));
    }

    [Fact]
    public void Find_looks_in_the_system_folder_after_the_data_folder()
    {
        using var system = new TempFolder();
        var file = new DatasetFile("things", "thing.gz", [], [], SystemFolder: system.Path);
        string inSystem = system.Write("thing", [1]);
        var store = new DataStore(_temp.Path, null);

        Assert.Equal(inSystem, store.Find(file));

        string inStore = _temp.Write("things/thing.gz", [2]);
        Assert.Equal(inStore, store.Find(file));
    }

    [Fact]
    public void Ensure_returns_the_paths_of_files_already_present_in_order()
    {
        string labels = _temp.Write("mnist/t10k-labels-idx1-ubyte.gz", [1]);
        string images = _temp.Write("mnist/t10k-images-idx3-ubyte", [2]);

        var paths = new DataStore(_temp.Path, null).Ensure([TestImages, TestLabels]);

        Assert.Equal(new[] { images, labels }, paths);
    }

    [Fact]
    public void Ensure_offline_with_missing_files_names_every_missing_path_and_the_variable()
    {
        _temp.Write("mnist/t10k-labels-idx1-ubyte.gz", [1]);
        var store = new DataStore(_temp.Path, null);
        var trainImages = Catalog.Images(DatasetKind.Mnist, DatasetSplit.Train);

        var e = Assert.Throws<DataUnavailableException>(() => store.Ensure([TestImages, TestLabels, trainImages]));

        Assert.Contains(store.PathOf(TestImages), e.Message);
        Assert.Contains(store.PathOf(trainImages), e.Message);
        Assert.DoesNotContain(store.PathOf(TestLabels), e.Message);
        Assert.Contains("DEEPSCRATCH_DATA", e.Message);
        Assert.False(File.Exists(store.PathOf(TestImages)));
    }

    [Fact]
    public void Ensure_of_one_missing_file_offline_throws_DataUnavailable()
    {
        var store = new DataStore(_temp.Path, null);

        var e = Assert.Throws<DataUnavailableException>(() => store.Ensure(TestLabels));

        Assert.Contains(store.PathOf(TestLabels), e.Message);
        Assert.IsAssignableFrom<IOException>(e);
    }

    [Fact]
    public void LoadSet_reads_a_split_from_the_store()
    {
        _temp.Write("mnist/t10k-images-idx3-ubyte.gz", IdxFiles.Gzip(IdxFiles.SampleImagesFile()));
        _temp.Write("mnist/t10k-labels-idx1-ubyte", IdxFiles.SampleLabelsFile());

        var set = Mnist.LoadSet(DatasetSplit.Test, new DataStore(_temp.Path, null));

        Assert.Equal(IdxFiles.SamplePixels, set.Images.Pixels);
        Assert.Equal(IdxFiles.SampleLabels, set.Labels);
    }

    [Fact]
    public void Load_returns_the_books_tensors_for_one_split()
    {
        _temp.Write("mnist/t10k-images-idx3-ubyte.gz", IdxFiles.Gzip(IdxFiles.SampleImagesFile()));
        _temp.Write("mnist/t10k-labels-idx1-ubyte.gz", IdxFiles.Gzip(IdxFiles.SampleLabelsFile()));

        var (x, t) = Mnist.Load(DatasetSplit.Test, normalize: false, flatten: false, oneHotLabel: true, store: new DataStore(_temp.Path, null));

        Assert.Equal(new[] { 3, 1, 2, 4 }, x.Shape.ToArray());
        Assert.Equal(255f, x[2, 0, 1, 3]);
        Assert.Equal(new[] { 3, 10 }, t.Shape.ToArray());
        Assert.Equal(1f, t[0, 7]);
    }

    [Fact]
    public void Load_of_both_splits_offline_without_the_training_set_names_the_missing_training_files()
    {
        _temp.Write("mnist/t10k-images-idx3-ubyte.gz", IdxFiles.Gzip(IdxFiles.SampleImagesFile()));
        _temp.Write("mnist/t10k-labels-idx1-ubyte.gz", IdxFiles.Gzip(IdxFiles.SampleLabelsFile()));
        var store = new DataStore(_temp.Path, null);

        var e = Assert.Throws<DataUnavailableException>(() => Mnist.Load(store: store));

        Assert.Contains(store.PathOf(Catalog.Images(DatasetKind.Mnist, DatasetSplit.Train)), e.Message);
        Assert.Contains(store.PathOf(Catalog.Labels(DatasetKind.Mnist, DatasetSplit.Train)), e.Message);
    }
}
