using DeepScratch.Data;

namespace DeepScratch.Tests.Data;

/// <summary>
/// QA follow-up of issue 7 item 6 (findings 5 and 8): the files of one dataset (images and labels, train and test)
/// come from one folder: a set split across folders (the data folder and the system's Fashion-MNIST, or loose files and
/// the mnist/ sub-folder) is reported with the missing file, never read as images of one copy with labels of another.
/// </summary>
public sealed class DataPairingTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private DataStore Offline => new(_temp.Path, downloader: null);

    [Fact]
    public void Fashion_images_in_the_data_folder_do_not_meet_the_systems_labels()
    {
        _temp.Write("fashion-mnist/t10k-images-idx3-ubyte.gz", IdxFiles.Gzip(IdxFiles.SampleImagesFile()));
        string system = Path.Combine(Catalog.FashionSystemFolder, "t10k-labels-idx1-ubyte.gz");

        var e = Assert.Throws<DataUnavailableException>(() => Offline.Ensure(Mnist.Files(DatasetKind.FashionMnist, DatasetSplit.Test)));

        Assert.StartsWith($"missing {_temp.File("fashion-mnist", "t10k-labels-idx1-ubyte.gz")} (data folder from explicit); downloads are off.", e.Message);
        if (File.Exists(system))
        {
            Assert.Contains($"Not used: {system} (another copy: images and labels must come from one folder).", e.Message);
        }
    }

    [Fact]
    public void Labels_in_the_mnist_folder_do_not_pair_with_loose_images()
    {
        string loose = _temp.Write("t10k-images-idx3-ubyte.gz", [1]);
        _temp.Write("mnist/t10k-labels-idx1-ubyte.gz", [2]);

        var e = Assert.Throws<DataUnavailableException>(() => Offline.Ensure(Mnist.Files(DatasetKind.Mnist, DatasetSplit.Test)));

        Assert.StartsWith($"missing {_temp.File("mnist", "t10k-images-idx3-ubyte.gz")} (data folder", e.Message);
        Assert.Contains($"Not used: {loose} (another copy", e.Message);
    }

    [Fact]
    public void Loose_images_without_their_labels_say_the_rest_of_the_set_must_be_beside_them()
    {
        _temp.Write("t10k-images-idx3-ubyte", [1]);

        var e = Assert.Throws<DataUnavailableException>(() => Offline.Ensure(Mnist.Files(DatasetKind.Mnist, DatasetSplit.Test)));

        Assert.StartsWith($"missing {_temp.File("t10k-labels-idx1-ubyte.gz")}: the rest of the mnist set is in {_temp.Path}", e.Message);
        Assert.Contains("images and labels must come from one folder", e.Message);
    }

    [Fact]
    public void A_complete_loose_set_and_a_complete_subfolder_set_are_each_read_whole()
    {
        string images = _temp.Write("t10k-images-idx3-ubyte", [1]);
        string labels = _temp.Write("t10k-labels-idx1-ubyte", [2]);

        Assert.Equal([images, labels], Offline.Ensure(Mnist.Files(DatasetKind.Mnist, DatasetSplit.Test)));

        string subImages = _temp.Write("mnist/t10k-images-idx3-ubyte.gz", [3]);
        string subLabels = _temp.Write("mnist/t10k-labels-idx1-ubyte.gz", [4]);
        Assert.Equal([subImages, subLabels], Offline.Ensure(Mnist.Files(DatasetKind.Mnist, DatasetSplit.Test)));
    }

    [Fact]
    public void Training_on_an_empty_folder_names_all_four_files_at_once()
    {
        var e = Assert.Throws<DataUnavailableException>(() => Mnist.Load(store: Offline));

        string[] names = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"];
        Assert.StartsWith($"missing {string.Join(", ", names.Select(n => _temp.File("mnist", n)))} (data folder", e.Message);
    }

    [Fact]
    public void A_test_set_here_and_a_train_set_loose_are_one_set_split_across_folders()
    {
        _temp.Write("mnist/t10k-images-idx3-ubyte.gz", [1]);
        _temp.Write("mnist/t10k-labels-idx1-ubyte.gz", [2]);
        string looseTrain = _temp.Write("train-images-idx3-ubyte.gz", [3]);
        _temp.Write("train-labels-idx1-ubyte.gz", [4]);

        var e = Assert.Throws<DataUnavailableException>(() => Mnist.Load(store: Offline));

        Assert.StartsWith($"missing {_temp.File("mnist", "train-images-idx3-ubyte.gz")}, {_temp.File("mnist", "train-labels-idx1-ubyte.gz")} (data folder", e.Message);
        Assert.Contains($"Not used: {looseTrain}, ", e.Message);
    }
}
