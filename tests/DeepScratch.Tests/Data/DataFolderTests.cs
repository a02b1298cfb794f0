using System.IO.Compression;
using System.Security.Cryptography;
using DeepScratch.Data;

namespace DeepScratch.Tests.Data;

/// <summary>
/// Issue 7, item 6: the names MNIST files really have on disk (a dot before idx, the book's loose dataset/ folder),
/// misnamed copies named in the message instead of fetched again, every missing file in one message, and no folders
/// left behind by a failed download.
/// </summary>
public sealed class DataFolderTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly HttpClient _http = LocalHttpServer.CreateClient();

    public void Dispose()
    {
        _http.Dispose();
        _temp.Dispose();
    }

    private static DatasetFile TestImages => Catalog.Images(DatasetKind.Mnist, DatasetSplit.Test);

    private static DatasetFile TestLabels => Catalog.Labels(DatasetKind.Mnist, DatasetSplit.Test);

    [Theory]
    [InlineData("mnist/t10k-images.idx3-ubyte")]
    [InlineData("mnist/t10k-images.idx3-ubyte.gz")]
    [InlineData("t10k-images-idx3-ubyte.gz")]
    [InlineData("t10k-images-idx3-ubyte")]
    [InlineData("t10k-images.idx3-ubyte")]
    public void Find_accepts_the_dot_name_and_files_loose_in_the_data_folder(string relative)
    {
        string path = _temp.Write(relative, [1]);

        Assert.Equal(path, new DataStore(_temp.Path, null).Find(TestImages));
    }

    [Fact]
    public void The_books_dataset_folder_is_read_as_it_is()
    {
        // The book's repository keeps the .gz files loose in dataset/, beside its own mnist.pkl cache.
        _temp.Write("mnist.pkl", [0x80, 0x04]);
        _temp.Write("t10k-images-idx3-ubyte.gz", IdxFiles.Gzip(IdxFiles.SampleImagesFile()));
        _temp.Write("t10k-labels-idx1-ubyte.gz", IdxFiles.Gzip(IdxFiles.SampleLabelsFile()));

        var set = Mnist.LoadSet(DatasetSplit.Test, new DataStore(_temp.Path, null));

        Assert.Equal(IdxFiles.SamplePixels, set.Images.Pixels);
        Assert.Equal(IdxFiles.SampleLabels, set.Labels);
    }

    [Fact]
    public void Fashion_mnist_files_loose_in_the_data_folder_are_not_taken_for_it()
    {
        // Fashion-MNIST uses MNIST's file names, so loose files are MNIST's.
        string loose = _temp.Write("t10k-images-idx3-ubyte.gz", [1]);

        Assert.NotEqual(loose, new DataStore(_temp.Path, null).Find(Catalog.Images(DatasetKind.FashionMnist, DatasetSplit.Test)));
    }

    [Fact]
    public void A_misnamed_copy_is_named_with_the_name_to_give_it_and_not_downloaded_again()
    {
        string misnamed = _temp.Write("mnist/T10K-Images_idx3-ubyte.GZ", [1]);
        using var server = new LocalHttpServer(new Dictionary<string, byte[]>());
        var file = TestImages with { Urls = [server.Url("m/t10k-images-idx3-ubyte.gz")] };
        var store = new DataStore(_temp.Path, new FileDownloader(_http));

        var e = Assert.Throws<DataUnavailableException>(() => store.Ensure(file));

        Assert.Contains($"Found {misnamed}: rename it to t10k-images-idx3-ubyte.gz.", e.Message);
        Assert.Empty(server.Requests);
        Assert.Equal(["T10K-Images_idx3-ubyte.GZ"], Directory.GetFiles(_temp.File("mnist")).Select(Path.GetFileName));
    }

    [Fact]
    public void An_empty_offline_folder_names_the_weights_and_both_test_files_in_one_message()
    {
        var store = new DataStore(_temp.Path, null);

        var e = Assert.Throws<DataUnavailableException>(() =>
            store.Ensure([Catalog.SampleWeight, .. Mnist.Files(DatasetKind.Mnist, DatasetSplit.Test)]));

        Assert.Contains(_temp.File("weights", "sample_weight.pkl"), e.Message);
        Assert.Contains(_temp.File("mnist", "t10k-images-idx3-ubyte.gz"), e.Message);
        Assert.Contains(_temp.File("mnist", "t10k-labels-idx1-ubyte.gz"), e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_failed_download_into_a_mistyped_folder_leaves_no_folders_behind()
    {
        using var server = new LocalHttpServer(new Dictionary<string, byte[]>());
        string root = _temp.File("no", "such", "dir");
        var files = new[] { TestImages, TestLabels }.Select(f => f with { Urls = [server.Url("x/" + f.FileName)] }).ToArray();

        var e = Assert.Throws<DataUnavailableException>(() => new DataStore(root, new FileDownloader(_http)).Ensure(files));

        Assert.Contains("404", e.Message);
        Assert.False(Directory.Exists(_temp.File("no")), "nothing was written, so no folder may remain");
        Assert.Equal(2, server.Requests.Count);
    }

    [Fact]
    public void A_download_that_fails_its_checksum_leaves_no_folders_behind_either()
    {
        byte[] wrong = IdxFiles.Gzip(IdxFiles.Labels(3, [1, 1, 1]));
        using var server = new LocalHttpServer(new Dictionary<string, byte[]> { ["/x/t10k-labels-idx1-ubyte.gz"] = wrong });
        string root = _temp.File("typo");
        var file = TestLabels with { Urls = [server.Url("x/t10k-labels-idx1-ubyte.gz")] };

        Assert.Throws<DataUnavailableException>(() => new DataStore(root, new FileDownloader(_http)).Ensure(file));

        Assert.False(Directory.Exists(root));
    }

    [Fact]
    public void A_successful_download_keeps_its_folders()
    {
        byte[] content = IdxFiles.Gzip(IdxFiles.SampleLabelsFile(), CompressionLevel.Optimal);
        using var server = new LocalHttpServer(new Dictionary<string, byte[]> { ["/x/t10k-labels-idx1-ubyte.gz"] = content });
        string root = _temp.File("new", "data");
        var file = TestLabels with
        {
            Urls = [server.Url("x/t10k-labels-idx1-ubyte.gz")],
            Digests = [FileDigest.Md5(Convert.ToHexStringLower(MD5.HashData(content)))],
        };

        string path = new DataStore(root, new FileDownloader(_http)).Ensure(file);

        Assert.Equal(Path.Combine(root, "mnist", "t10k-labels-idx1-ubyte.gz"), path);
        Assert.Equal(content, File.ReadAllBytes(path));
    }
}
